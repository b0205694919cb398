"""Reading CSV and XLSX files as a stream of rows, whatever their encoding, delimiter and header row.

- Encoding: a byte-order mark wins (UTF-8, UTF-16); else strict UTF-8 if the sample decodes;
  else charset-normalizer's best guess on a sample (Windows-1251, KOI8-R, UTF-16 without BOM...);
  or the encoding the user forces. The file is then decoded as a stream.
- Delimiter: `,` `;` tab or `|`, the one that splits the sample into the most rows of one width
  (quoted cells with delimiters and line breaks included); Excel's `sep=;` first line is obeyed.
- Header: the row among the first 20 that names the most known columns (files often start with a
  title or an empty row). In XLSX a merged header cell is empty after its first column: a column
  with an empty header takes the one to its left when it has data; a group header in the row above
  ("Телефон" over "Рабочий" and "Мобильный") is joined to the header below it.
- XLSX is read with openpyxl in read-only mode (rows are parsed as they are read).
Memory stays constant whatever the size of the file.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import charset_normalizer
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid

SAMPLE_BYTES = 256 * 1024
HEADER_SCAN_ROWS = 20
DELIMITERS = (";", ",", "\t", "|")
# csv's default limit (128 KiB) is too small for long comments pasted into one cell.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Table:
    """An opened file: how it is read, its header, and a way to stream its data rows."""

    kind: str  # "csv" or "xlsx"
    path: Path
    headers: list[str]
    header_row: int  # 1-based row number of the header
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    total: int | None = None  # data rows (XLSX: as the file declares them)
    _open_rows: Callable[[], Iterator[list[Any]]] | None = field(default=None, repr=False)

    def rows(self, *, skip: int = 0) -> Iterator[tuple[int, list[Any]]]:
        """Yield (row number in the file, cells) of the data rows after the first `skip` ones."""
        if self._open_rows is None:
            return
        records = self._open_rows()
        first = self.header_row + skip
        try:
            for number, cells in enumerate(records, start=1):
                if number > first:
                    yield number, cells
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()

    def preview(self, limit: int = 10) -> list[tuple[int, list[Any]]]:
        """Return the first data rows."""
        found = []
        for row in self.rows():
            found.append(row)
            if len(found) >= limit:
                break
        return found


def file_digest(path: Path) -> tuple[str, int]:
    """Return the SHA-256 of the file and its size, reading it in blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def open_table(
    path: Path | str,
    *,
    encoding: str = "",
    delimiter: str = "",
    header_score: Callable[[list[str]], int] | None = None,
) -> Table:
    """Open a CSV or XLSX file, detect how to read it, and find its header."""
    path = Path(path)
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise Invalid("import.empty_file", _("The file is empty."))
    score = header_score or (lambda cells: sum(1 for cell in cells if cell))
    if sample.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, score)
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid(
            "import.old_excel",
            _("This is an old Excel file (.xls). Save it as .xlsx or CSV and import that."),
        )
    return _open_csv(path, sample, encoding=encoding, delimiter=delimiter, score=score)


# --- CSV ------------------------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """Return the Python codec of a file from its first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if (utf16 := _utf16_without_bom(sample)) is not None:
        return utf16
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A sample cut inside a multi-byte character still counts as UTF-8.
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise Invalid(
            "import.unknown_encoding",
            _("Cannot tell the file's encoding. Choose it (for example windows-1251 or utf-8)."),
        )
    return codecs.lookup(best.encoding).name


def _utf16_without_bom(sample: bytes) -> str | None:
    """Return utf-16-le/-be when one half of the bytes is mostly one small value (0x00 Latin, 0x04 Cyrillic)."""
    for offset, name in ((1, "utf-16-le"), (0, "utf-16-be")):
        half = sample[offset::2][:4096]
        if len(half) < 8:
            return None
        value, count = Counter(half).most_common(1)[0]
        if value < 0x20 and count > 0.6 * len(half):
            return name
    return None


def _open_csv(path: Path, sample: bytes, *, encoding: str, delimiter: str, score) -> Table:
    codec = _codec(encoding) if encoding else detect_encoding(sample)
    text = sample.decode(codec, errors="replace")
    if len(sample) == SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1] or text  # only whole lines
    skip_lines = 0
    first = text.split("\n", 1)[0].strip().lower()
    if first.startswith("sep=") and len(first) == 5:
        delimiter = delimiter or first[4]
        skip_lines = 1
        text = text.split("\n", 1)[1] if "\n" in text else ""
    delimiter = _delimiter_name(delimiter) if delimiter else sniff_delimiter(text)

    def open_rows() -> Iterator[list[Any]]:
        return _csv_records(path, codec, delimiter, skip_lines)

    try:
        records = list(_first(csv.reader(io.StringIO(text), delimiter=delimiter), HEADER_SCAN_ROWS))
    except csv.Error as error:
        raise Invalid(
            "import.bad_csv", _("The file cannot be read as CSV: %(error)s") % {"error": error}
        ) from None
    header_index, headers = find_header(records, score)
    header_index, headers = _sub_header(records, header_index, headers, score)
    table = Table(
        kind="csv",
        path=path,
        headers=headers,
        header_row=header_index + 1,
        encoding=codec,
        delimiter=delimiter,
        _open_rows=open_rows,
    )
    table.total = max(0, _count_records(open_rows) - table.header_row)
    return table


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise Invalid(
            "import.bad_encoding",
            _("Unknown encoding “%(name)s”.") % {"name": name},
            details={"encoding": name},
        ) from None


def _delimiter_name(value: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise Invalid("import.bad_delimiter", _("The delimiter is one character."))
    return value


def sniff_delimiter(text: str) -> str:
    """Return the delimiter that splits `text` into the most rows of one width (ties: `;` `,` tab `|`)."""
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        try:
            rows = list(_first(csv.reader(io.StringIO(text), delimiter=candidate), 50))
        except csv.Error:
            continue
        widths = [len(row) for row in rows if any(row)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        if common < 2:
            continue
        score = (widths.count(common), common)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_records(path: Path, codec: str, delimiter: str, skip_lines: int) -> Iterator[list[Any]]:
    with open(path, "rb") as raw:
        stream = io.TextIOWrapper(raw, encoding=codec, errors="replace", newline="")
        for _line in range(skip_lines):
            stream.readline()
        reader = csv.reader(stream, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as error:
            raise Invalid(
                "import.bad_csv",
                _("The file cannot be read as CSV near line %(line)s: %(error)s")
                % {"line": reader.line_num, "error": error},
            ) from None


def _count_records(open_rows: Callable[[], Iterator[list[Any]]]) -> int:
    count = 0
    for count, _row in enumerate(open_rows(), start=1):  # noqa: B007 - counting
        pass
    return count


def _first(rows, limit: int) -> Iterator:
    for index, row in enumerate(rows):
        if index >= limit:
            break
        yield row


def find_header(records: list[list[Any]], score: Callable[[list[str]], int]) -> tuple[int, list[str]]:
    """Return the index and the cells of the header among the first rows."""
    best_index, best_score = None, 0
    for index, row in enumerate(records):
        cells = [_text(cell) for cell in row]
        points = score(cells)
        if points > best_score:
            best_index, best_score = index, points
    if best_index is None:
        best_index = next((i for i, row in enumerate(records) if any(_text(c) for c in row)), 0)
    if not records:
        raise Invalid("import.empty_file", _("The file is empty."))
    headers = [_text(cell) for cell in records[best_index]]
    return best_index, headers


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# --- XLSX -----------------------------------------------------------------------------------------


def _open_xlsx(path: Path, score) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise Invalid(
            "import.bad_xlsx", _("The Excel file cannot be read: %(error)s") % {"error": error}
        ) from None
    try:
        sheet = _data_sheet(workbook)
        title, declared = sheet.title, sheet.max_row
        records = [list(row) for row in _first(sheet.iter_rows(values_only=True), HEADER_SCAN_ROWS)]
    finally:
        workbook.close()
    header_index, headers = find_header(records, score)
    header_index, headers = _sub_header(records, header_index, headers, score)
    headers = _merged_headers(records, header_index, headers, score)

    def open_rows() -> Iterator[list[Any]]:
        return _xlsx_records(path, title)

    total = max(0, declared - header_index - 1) if declared else None
    return Table(
        kind="xlsx",
        path=path,
        headers=headers,
        header_row=header_index + 1,
        sheet=title,
        total=total,
        _open_rows=open_rows,
    )


def _data_sheet(workbook):
    for sheet in [workbook.active, *workbook.worksheets]:
        if sheet is not None and getattr(sheet, "sheet_state", "visible") == "visible" and sheet.max_row:
            return sheet
    return workbook.worksheets[0]


def _xlsx_records(path: Path, title: str) -> Iterator[list[Any]]:
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for row in workbook[title].iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _sub_header(records: list[list[Any]], index: int, headers: list[str], score) -> tuple[int, list[str]]:
    """Join a second header row: "Телефон" merged over two columns above "Рабочий" and "Мобильный"."""
    if index + 1 >= len(records):
        return index, headers
    raw = records[index + 1]
    below = [_text(cell) for cell in raw]
    if not any(below) or any(_looks_like_data(cell) for cell in raw):
        return index, headers
    width = max(len(headers), len(below))
    top = _fill_right(headers + [""] * (width - len(headers)))
    below += [""] * (width - len(below))
    joined = []
    for upper, lower in zip(top, below, strict=True):
        candidates = [f"{upper} {lower}".strip(), lower, upper] if lower else [upper]
        joined.append(next((c for c in candidates if c and score([c])), candidates[0]))
    if score(joined) > score(headers):
        return index + 1, joined
    return index, headers


def _looks_like_data(value: Any) -> bool:
    if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
        return True
    text = _text(value)
    return "@" in text or sum(ch.isdigit() for ch in text) >= 5


def _merged_headers(records: list[list[Any]], index: int, headers: list[str], score) -> list[str]:
    """Fill the headers merged cells leave empty, and join a group header row above to the one below."""
    data = records[index + 1 : index + 6]
    width = max([len(headers)] + [len(row) for row in data])
    headers = headers + [""] * (width - len(headers))
    above = [_text(c) for c in records[index - 1]] if index > 0 else []
    above = _fill_right(above + [""] * (width - len(above)))
    result = []
    for column, header in enumerate(headers):
        has_data = any(column < len(row) and _text(row[column]) for row in data)
        if not header and has_data:
            header = result[-1] if result and result[-1] else above[column] if column < len(above) else ""
        elif header and above[column] and above[column] != header and not score([header]):
            joined = f"{above[column]} {header}"
            header = joined if score([joined]) else header
        result.append(header)
    while result and not result[-1]:
        result.pop()
    return result


def _fill_right(cells: list[str]) -> list[str]:
    filled, last = [], ""
    for cell in cells:
        last = cell or last
        filled.append(last)
    return filled
