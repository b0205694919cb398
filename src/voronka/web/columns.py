"""The columns a list can show, per item kind; the user picks which (kept in the session).

A list page prints 50 rows of up to ten columns. Choosing each cell's format in the template
(a chain of `{% elif column.key == … %}`, a filter or two, related-object lookups) cost more
Python time than the page's queries, so `rows()` formats the cells here, once, and the list
template only prints them; `related()` names the joins the chosen columns need, so the rows
are read without the others.
"""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.web.templatetags.web import money


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str = ""  # the field keyset pagination sorts by ("" = not sortable)
    default: bool = True
    numeric: bool = False


COLUMNS = {
    "lead": [
        Column("title", _("Title"), "title"),
        Column("stage", _("Status")),
        Column("name", _("Name")),
        Column("company_title", _("Company name")),
        Column("amount", _("Amount"), "amount", numeric=True),
        Column("assigned_to", _("Responsible")),
        Column("source", _("Source"), default=False),
        Column("created_at", _("Created"), "created_at"),
        Column("updated_at", _("Updated"), "updated_at", default=False),
    ],
    "deal": [
        Column("title", _("Title"), "title"),
        Column("stage", _("Stage")),
        Column("pipeline", _("Pipeline"), default=False),
        Column("client", _("Client")),
        Column("amount", _("Amount"), "amount", numeric=True),
        Column("assigned_to", _("Responsible")),
        Column("close_date", _("Expected close"), "close_date", default=False),
        Column("source", _("Source"), default=False),
        Column("created_at", _("Created"), "created_at"),
        Column("closed_at", _("Closed"), "closed_at", default=False),
    ],
    "contact": [
        Column("name", _("Name"), "last_name"),
        Column("company", _("Company")),
        Column("position", _("Position"), default=False),
        Column("assigned_to", _("Responsible")),
        Column("source", _("Source"), default=False),
        Column("created_at", _("Created"), "created_at"),
    ],
    "company": [
        Column("title", _("Name"), "title"),
        Column("industry", _("Industry")),
        Column("assigned_to", _("Responsible")),
        Column("source", _("Source"), default=False),
        Column("created_at", _("Created"), "created_at"),
    ],
}


def chosen(session, kind: str) -> list[Column]:
    """Return the columns the user chose for `kind` (the defaults until they choose)."""
    keys = session.get(f"columns:{kind}")
    columns = COLUMNS[kind]
    if not keys:
        return [c for c in columns if c.default]
    picked = [c for c in columns if c.key in keys]
    return picked or [c for c in columns if c.default]


# The related rows each column prints (select_related), per item kind.
_JOINS = {
    "stage": {"lead": ("status",), "deal": ("stage",)},
    "pipeline": {"deal": ("pipeline",)},
    "client": {"deal": ("company", "contact")},
    "company": {"contact": ("company",)},
    "assigned_to": {"*": ("assigned_to",)},
    "source": {"*": ("source",)},
}


def related(kind: str, columns: list[Column]) -> list[str]:
    """Return the relations the chosen `columns` of a `kind` list read."""
    names: list[str] = []
    for column in columns:
        joins = _JOINS.get(column.key, {})
        names += [name for name in joins.get(kind, joins.get("*", ())) if name not in names]
    return names


@dataclass(frozen=True, slots=True)
class Cell:
    """One printed cell: its text, and a link (`href`) or a stage badge (`badge`, `color`) around it."""

    text: str
    href: str = ""
    badge: bool = False
    color: str = ""
    nowrap: bool = False
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    pk: int
    cells: list[Cell]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M") if value else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell(item, kind: str, key: str, href: str) -> Cell:
    if key == "title":
        return Cell(item.title, href=href)
    if key == "name":
        return Cell(item.full_name or str(item), href=href) if kind == "contact" else Cell(item.full_name)
    if key == "stage":
        stage = item.status if kind == "lead" else item.stage
        return Cell(stage.title, badge=True, color=stage.color)
    if key == "pipeline":
        return Cell(item.pipeline.title)
    if key == "client":
        client = item.company.title if item.company_id else item.contact.full_name if item.contact_id else ""
        return Cell(client)
    if key == "company":
        return Cell(item.company.title if item.company_id else "")
    if key == "amount":
        return Cell(money(item.amount, item.currency), nowrap=True, numeric=True)
    if key == "assigned_to":
        return Cell(item.assigned_to.display_name if item.assigned_to_id else "", nowrap=True)
    if key == "source":
        return Cell(item.source.title if item.source_id else "")
    if key in ("created_at", "updated_at", "closed_at"):
        return Cell(_when(getattr(item, key)), nowrap=True)
    if key == "close_date":
        return Cell(date_format(item.close_date, "d.m.Y") if item.close_date else "")
    return Cell(_text(getattr(item, key, None)))


def rows(items: list, kind: str, columns: list[Column], card_prefix: str) -> list[Row]:
    """Return the printed rows of a list page: its `columns` of each of `items`."""
    keys = [column.key for column in columns]
    return [
        Row(item.pk, [_cell(item, kind, key, f"{card_prefix}{item.pk}/") for key in keys]) for item in items
    ]
