"""List parameters: filters, `q`, sorting, `fields=` and keyset (cursor) pages.

Filters arrive as query parameters and become a `crm.selectors.lists.ItemFilter`; every one is
on an indexed column. A list parameter may be repeated (`stage=NEW&stage=IN_PROCESS`) or
comma-separated (`stage=NEW,IN_PROCESS`).
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from voronka.api.schemas.common import Id, Serializer, ShortText
from voronka.crm.selectors.lists import SORTABLE, ItemFilter, Page
from voronka.crm.selectors.pipelines import source_ids, stage_ids
from voronka.lib.errors import Invalid
from voronka.lib.money import to_amount

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Dates outside these years are refused rather than overflowing a time zone conversion.
_EARLIEST, _LATEST = 1900, 2200


class PageParams(Schema):
    cursor: ShortText | None = Field(None, description="`next_cursor` of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page.")
    sort: ShortText = Field("-id", description="A column, `-` for descending: -id, created_at, -amount…")
    fields: ShortText | None = Field(
        None, description="Comma-separated columns to return (`id` always comes): id,title,stage_id"
    )


class ClientFilters(Schema):
    q: ShortText | None = Field(
        None, description="Search names, titles, phones and e-mails; `#123` is an id."
    )
    assigned_to_id: list[Id] = Field(default_factory=list, description="Responsible users.")
    department_id: list[Id] = Field(default_factory=list, description="Responsibles' departments.")
    source: list[ShortText] = Field(default_factory=list, description="Source codes or ids.")
    created_from: dt.datetime | None = Field(None, description="Created at or after (ISO 8601).")
    created_to: dt.datetime | None = Field(None, description="Created before.")
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None


class CompanyFilters(ClientFilters):
    pass


class ContactFilters(ClientFilters):
    company_id: Id | None = None


class StagedFilters(ClientFilters):
    stage: list[ShortText] = Field(default_factory=list, description="Stage codes or ids.")
    stage_id: list[Id] = Field(default_factory=list)
    semantics: Literal["open", "won", "lost"] | None = None
    closed: bool | None = Field(None, description="true: won or lost; false: in progress.")
    closed_from: dt.datetime | None = None
    closed_to: dt.datetime | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    contact_id: Id | None = None
    company_id: Id | None = None


class LeadFilters(StagedFilters):
    status: list[ShortText] = Field(
        default_factory=list, description="The same as `stage` (a lead's status)."
    )


class DealFilters(StagedFilters):
    pipeline_id: Id | None = None
    lead_id: Id | None = None


def _split(values: list[Any]) -> list[str]:
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def _moment(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if not _EARLIEST <= value.year <= _LATEST:
        raise Invalid(
            "list.bad_date",
            _("Dates from %(a)d to %(b)d.") % {"a": _EARLIEST, "b": _LATEST},
            details={name: str(value)},
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def item_filter(kind: str, filters: Schema) -> ItemFilter:
    """Turn validated query parameters into the selector's filter."""
    values = filters.model_dump()
    spec = ItemFilter(q=values.get("q") or "")
    spec.assigned_to_ids = values["assigned_to_id"]
    spec.department_ids = values["department_id"]
    if refs := _split(values["source"]):
        spec.source_ids = source_ids(refs)
    for name in ("created_from", "created_to", "updated_from", "updated_to", "closed_from", "closed_to"):
        if name in values:
            setattr(spec, name, _moment(values[name], name))
    for name in ("contact_id", "company_id", "lead_id"):
        if values.get(name) is not None:
            setattr(spec, name, values[name])
    if kind in ("lead", "deal"):
        spec.pipeline_id = values.get("pipeline_id")
        # Ids filter as they are (an unknown id simply matches nothing); codes must exist.
        refs = _split(values["stage"] + values.get("status", []))
        ids = [int(ref) for ref in refs if ref.isdigit() and len(ref) < 19]
        ids += values["stage_id"] + values.get("status_id", [])
        codes = [ref for ref in refs if not (ref.isdigit() and len(ref) < 19)]
        spec.stage_ids = sorted(
            set(ids) | set(stage_ids(kind, codes, pipeline_id=spec.pipeline_id) if codes else ())
        )
        spec.semantics = values["semantics"]
        spec.is_closed = values["closed"]
        for name in ("amount_min", "amount_max"):
            if values[name] is not None:
                setattr(spec, name, to_amount(values[name], field=name))
    return spec


def selected_fields(kind: str, serializer: Serializer, fields: str | None) -> list[str] | None:
    """Return the columns `fields=` asks for, or None for all; refuse unknown names."""
    if not fields:
        return None
    names = _split([fields])
    unknown = [name for name in names if name not in serializer.names]
    if unknown:
        raise Invalid(
            "list.bad_fields",
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={"fields": _("One of: %(names)s") % {"names": ", ".join(serializer.names)}},
        )
    return names


def page_body(page: Page, serializer: Serializer, fields: list[str] | None) -> dict[str, Any]:
    """Return the JSON body of a list page."""
    return {"items": serializer.many(page.items, fields), "next_cursor": page.next_cursor}


def sort_help(kind: str) -> str:
    return ", ".join(SORTABLE[kind])
