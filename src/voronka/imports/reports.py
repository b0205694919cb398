"""The error report: the rows that failed, as they were in the file, with one more column saying why.

It is a CSV that Excel opens as it is (UTF-8 with a byte-order mark, the file's own delimiter;
`;` for rows that came from an XLSX) and that can be fixed and imported again: the extra column
is not one the importer maps. Rows are appended and flushed to disk before the batch that failed
them commits; the job records the report's size in that same transaction, so a resumed import
first cuts the report back to that size (dropping rows of a batch that never committed).
"""

import csv
import os
from pathlib import Path
from typing import Any

from voronka.imports.values import cell_text


class ErrorReport:
    """Appends failed rows to the report file, created on the first failure."""

    def __init__(
        self, path: Path, *, headers: list[str], error_header: str, delimiter: str, size: int
    ) -> None:
        self.path = path
        self.headers = headers
        self.error_header = error_header
        self.delimiter = delimiter if delimiter in (",", ";", "\t", "|") else ";"
        self.size = size
        self._handle = None
        self._writer: Any = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.size and self.path.exists():
            with open(self.path, "r+b") as handle:
                handle.truncate(self.size)
            self._handle = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115 - kept open
        else:
            self._handle = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._handle, delimiter=self.delimiter, quoting=csv.QUOTE_MINIMAL)
        if not self.size or self._handle.tell() == 0:
            self._writer.writerow([*self.headers, self.error_header])

    def write(self, rows: list[tuple[list[Any], str]]) -> int:
        """Append (cells, reason) rows, make them durable, and return the report's size."""
        if rows:
            if self._handle is None:
                self._open()
            width = len(self.headers)
            for cells, reason in rows:
                texts = [cell_text(cell) if not isinstance(cell, str) else cell for cell in cells]
                texts = (texts + [""] * width)[: max(width, len(texts))]
                self._writer.writerow([*texts, reason])
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self.size = os.fstat(self._handle.fileno()).st_size
        return self.size

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
