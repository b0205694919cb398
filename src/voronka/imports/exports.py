"""Export of a filtered list of leads, deals, contacts or companies to CSV or XLSX, streamed.

Rules enforced here:
- only the items the user may export (the export right's scope: crm.selectors.items.visible with
  action "export"), narrowed by the list's filter (crm.selectors.lists);
- rows are read in keyset chunks (by id), with the chunk's phones and e-mails in one query, and
  written out as they come: the whole table is never in memory;
- a cell that starts with = + - @ (or a tab or carriage return) gets a leading apostrophe, so a
  spreadsheet shows it as text instead of running it as a formula (the importer removes it again);
- the headers are the importer's column names, so an exported file imports back as it is.
Formats: CSV in UTF-8 with a byte-order mark (Excel reads Cyrillic right), CSV in Windows-1251
with `;` (old Excel versions in Russian), and XLSX (openpyxl's write-only mode, via a temporary file).
"""

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm.selectors.items import communications_of, visible
from voronka.crm.selectors.lists import ItemFilter, apply_filter
from voronka.lib.errors import Invalid

CHUNK = 2000
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "csv-1251": ("text/csv; charset=windows-1251", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
_RISKY = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One exported column: its header and how to read it from an item (and its communications)."""

    header: Any
    read: Callable[[Any, list[tuple[str, str, str]]], Any]


def _field(name: str) -> Callable:
    return lambda item, comms: getattr(item, name)


def _related(name: str) -> Callable:
    def read(item, comms):
        value = getattr(item, name)
        return "" if value is None else getattr(value, "title", None) or str(value)

    return read


def _comms(kind: str, labels: tuple[str, ...] | None) -> Callable:
    def read(item, comms):
        return ", ".join(v for k, label, v in comms if k == kind and (labels is None or label in labels))

    return read


_OTHER_PHONES = ("home", "fax", "mailing", "other")
_PEOPLE = [
    Column(_("First name"), _field("first_name")),
    Column(_("Middle name"), _field("second_name")),
    Column(_("Last name"), _field("last_name")),
    Column(_("Position"), _field("position")),
]
_REACH = [
    Column(_("Work phone"), _comms("phone", ("work",))),
    Column(_("Mobile phone"), _comms("phone", ("mobile",))),
    Column(_("Other phone"), _comms("phone", _OTHER_PHONES)),
    Column(_("Work e-mail"), _comms("email", ("work",))),
    Column(_("Other e-mail"), _comms("email", ("home", "mailing", "other"))),
    Column(_("Web site"), _comms("web", None)),
]
_COMMON = [
    Column(_("Source"), _related("source")),
    Column(_("Responsible"), _related("assigned_to")),
    Column(_("Comment"), _field("comments")),
    Column(_("Created"), _field("created_at")),
]
COLUMNS: dict[str, list[Column]] = {
    "lead": [
        Column("ID", _field("pk")),
        Column(_("Title"), _field("title")),
        *_PEOPLE,
        Column(_("Company name"), _field("company_title")),
        Column(_("Status"), _related("status")),
        Column(_("Amount"), _field("amount")),
        Column(_("Currency"), _field("currency")),
        *_REACH,
        Column(_("Address"), _field("address")),
        *_COMMON,
    ],
    "deal": [
        Column("ID", _field("pk")),
        Column(_("Title"), _field("title")),
        Column(_("Pipeline"), _related("pipeline")),
        Column(_("Stage"), _related("stage")),
        Column(_("Amount"), _field("amount")),
        Column(_("Currency"), _field("currency")),
        Column(_("Company"), _related("company")),
        Column(_("Contact"), _related("contact")),
        Column(_("Expected close date"), _field("close_date")),
        Column(_("Probability, %"), _field("probability")),
        *_COMMON,
    ],
    "contact": [
        Column("ID", _field("pk")),
        *_PEOPLE,
        Column(_("Company"), _related("company")),
        Column(_("Birth date"), _field("birthdate")),
        *_REACH,
        Column(_("Address"), _field("address")),
        *_COMMON,
    ],
    "company": [
        Column("ID", _field("pk")),
        Column(_("Title"), _field("title")),
        Column(_("Industry"), _field("industry")),
        Column(_("Employees"), _field("employees")),
        Column(_("Annual revenue"), _field("revenue")),
        Column(_("Currency"), _field("currency")),
        Column(_("Tax id"), _field("tax_id")),
        *_REACH,
        Column(_("Address"), _field("address")),
        *_COMMON,
    ],
}


def headers(kind: str) -> list[str]:
    """Return the column headers of an export of `kind` (in the active language)."""
    return [str(column.header) for column in COLUMNS[kind]]


def export_rows(user: User | None, kind: str, spec: ItemFilter | None = None) -> Iterator[list[Any]]:
    """Yield the rows (plain values) of the items of `kind` the user may export, matching `spec`."""
    if kind not in COLUMNS:
        raise Invalid("export.bad_kind", _("Export leads, deals, contacts or companies."))
    queryset = apply_filter(visible(user, kind, Action.EXPORT), kind, spec or ItemFilter())
    columns = COLUMNS[kind]
    last = 0
    while True:
        page = list(queryset.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not page:
            return
        found = communications_of(kind, [item.pk for item in page])
        for item in page:
            comms = found.get(item.pk, [])
            yield [column.read(item, comms) for column in columns]
        last = page[-1].pk


def escape(value: Any) -> Any:
    """Return text that a spreadsheet will not run as a formula (numbers and dates stay as they are)."""
    if isinstance(value, str) and value.startswith(_RISKY):
        return f"'{value}"
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(escape(value))


def stream_csv(kind: str, rows: Iterator[list[Any]], *, windows: bool = False) -> Iterator[bytes]:
    """Yield a CSV export in chunks: UTF-8 with BOM and `,`, or Windows-1251 with `;`."""
    encoding, delimiter = ("cp1251", ";") if windows else ("utf-8", ",")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers(kind))
    prefix = "" if windows else "\ufeff"
    for count, row in enumerate(rows, start=1):
        writer.writerow([_text(value) for value in row])
        if count % 500 == 0:
            yield (prefix + buffer.getvalue()).encode(encoding, errors="replace")
            prefix = ""
            buffer.seek(0)
            buffer.truncate()
    yield (prefix + buffer.getvalue()).encode(encoding, errors="replace")


def stream_xlsx(kind: str, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    """Yield an XLSX export: written row by row (write-only) to a temporary file, then read out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(COLUMNS_TITLE[kind]))
    sheet.append(headers(kind))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_excel(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as handle:
        workbook.save(handle)
        handle.seek(0)
        while block := handle.read(256 * 1024):
            yield block


COLUMNS_TITLE = {"lead": _("Leads"), "deal": _("Deals"), "contact": _("Contacts"), "company": _("Companies")}


def _excel(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, Decimal | int | float | dt.date) and not isinstance(value, bool):
        return value
    return escape(_text(value))


def stream(user: User | None, kind: str, spec: ItemFilter | None, fmt: str) -> Iterator[bytes]:
    """Yield the export of `kind` in format `fmt` ("csv", "csv-1251", "xlsx")."""
    if fmt not in FORMATS:
        raise Invalid("export.bad_format", _("Export to csv, csv-1251 or xlsx."))
    rows = export_rows(user, kind, spec)
    if fmt == "xlsx":
        return stream_xlsx(kind, rows)
    return stream_csv(kind, rows, windows=fmt == "csv-1251")


def filter_from(params: Mapping[str, Any]) -> ItemFilter:
    """Build a list filter from query parameters or command options (ids, dates, flags as text)."""
    spec = ItemFilter()
    spec.q = str(params.get("q") or "")
    for name, attribute in (
        ("stage", "stage_ids"),
        ("assigned_to", "assigned_to_ids"),
        ("source", "source_ids"),
        ("department", "department_ids"),
    ):
        setattr(spec, attribute, _ids(params, name))
    spec.pipeline_id = (_ids(params, "pipeline") or [None])[0]
    for name in ("created_from", "created_to", "updated_from", "updated_to"):
        value = params.get(name)
        if value:
            day = parse_date(str(value))
            if day is None:
                raise Invalid(
                    "export.bad_date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}
                )
            setattr(spec, name, timezone.make_aware(dt.datetime.combine(day, dt.time())))
    closed = params.get("closed")
    if closed not in (None, ""):
        spec.is_closed = str(closed).lower() in ("1", "true", "yes", "on")
    semantics = params.get("semantics")
    if semantics in ("open", "won", "lost"):
        spec.semantics = semantics
    return spec


def _ids(params: Mapping[str, Any], name: str) -> list[int]:
    raw = params.getlist(name) if hasattr(params, "getlist") else params.get(name) or []
    if isinstance(raw, str | int):
        raw = [raw]
    ids = []
    for value in raw:
        for part in str(value).split(","):
            if part.strip():
                if not part.strip().isdigit():
                    raise Invalid("export.bad_id", _("“%(value)s” is not an id.") % {"value": part})
                ids.append(int(part))
    return ids
