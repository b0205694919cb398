"""The columns a list can show, per item kind; the user picks which (kept in the session)."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


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
