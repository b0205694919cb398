"""Filtering, searching, sorting and keyset pagination of item lists (API, web lists, boards, export).

Every filter is on an indexed column; the search `q` is one index look-up for a phone or
an e-mail, an id match for a number, and a substring match on the folded search text
otherwise. Pages are keyset (cursor) pages: the cost of page 1,000 is the cost of page 1.
"""

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.crm.models import Communication
from voronka.lib.emails import try_normalize_email
from voronka.lib.errors import Invalid
from voronka.lib.phones import try_normalize_phone
from voronka.lib.text import fold

SORTABLE = {
    "lead": ("id", "created_at", "updated_at", "amount", "title", "stage_changed_at"),
    "deal": (
        "id",
        "created_at",
        "updated_at",
        "amount",
        "title",
        "stage_changed_at",
        "closed_at",
        "close_date",
    ),
    "contact": ("id", "created_at", "updated_at", "last_name"),
    "company": ("id", "created_at", "updated_at", "title"),
    "entries": ("id",),  # timelines, logs: newest first by id
}
STAGE_FIELD = {"lead": "status", "deal": "stage"}
MAX_ID = 2**63 - 1
MAX_DECIMAL = Decimal("1e16")


@dataclass
class ItemFilter:
    """What a list asks for; every field is optional."""

    q: str = ""
    stage_ids: list[int] = field(default_factory=list)
    pipeline_id: int | None = None
    assigned_to_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)
    contact_id: int | None = None
    company_id: int | None = None
    lead_id: int | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    closed_from: dt.datetime | None = None
    closed_to: dt.datetime | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    is_closed: bool | None = None
    semantics: str | None = None  # open / won / lost
    custom: dict[str, Any] = field(default_factory=dict)


def apply_filter(queryset: QuerySet, kind: str, spec: ItemFilter) -> QuerySet:
    """Narrow an item queryset by `spec`."""
    conditions = Q()
    stage_field = STAGE_FIELD.get(kind)
    if spec.stage_ids and stage_field:
        conditions &= Q(**{f"{stage_field}_id__in": spec.stage_ids})
    if spec.pipeline_id and kind == "deal":
        conditions &= Q(pipeline_id=spec.pipeline_id)
    if spec.semantics and stage_field:
        conditions &= Q(**{f"{stage_field}__semantics": spec.semantics})
    if spec.assigned_to_ids:
        conditions &= Q(assigned_to_id__in=spec.assigned_to_ids)
    if spec.department_ids:
        conditions &= Q(assigned_to__department_id__in=spec.department_ids)
    if spec.source_ids:
        conditions &= Q(source_id__in=spec.source_ids)
    for name in ("contact_id", "company_id", "lead_id"):
        value = getattr(spec, name)
        if value is not None:
            conditions &= Q(**{name: value})
    for name, lookup in (("created", "created_at"), ("updated", "updated_at"), ("closed", "closed_at")):
        start, end = getattr(spec, f"{name}_from"), getattr(spec, f"{name}_to")
        if start is not None:
            conditions &= Q(**{f"{lookup}__gte": start})
        if end is not None:
            conditions &= Q(**{f"{lookup}__lt": end})
    if kind in ("lead", "deal"):
        if spec.amount_min is not None:
            conditions &= Q(amount__gte=spec.amount_min)
        if spec.amount_max is not None:
            conditions &= Q(amount__lte=spec.amount_max)
        if spec.is_closed is not None:
            conditions &= Q(is_closed=spec.is_closed)
    for code, value in spec.custom.items():
        conditions &= Q(**{f"custom__{code}": value})
    queryset = queryset.filter(conditions)
    if spec.q.strip():
        queryset = search(queryset, kind, spec.q)
    return queryset


def search(queryset: QuerySet, kind: str, q: str) -> QuerySet:
    """Match names, titles, phones and e-mails against `q`."""
    text = q.strip()
    if text.startswith("#") and text[1:].isdigit():
        return queryset.filter(pk=int(text[1:]))
    if text.isdigit() and len(text) < 7:
        return queryset.filter(Q(pk=int(text)) | Q(search_text__contains=text))
    email = try_normalize_email(text) if "@" in text else None
    if email:
        return queryset.filter(pk__in=_owners(kind, Communication.Kind.EMAIL, email))
    digits = sum(ch.isdigit() for ch in text)
    phone = try_normalize_phone(text) if digits >= 7 else None
    if phone and kind != "deal":
        return queryset.filter(pk__in=_owners(kind, Communication.Kind.PHONE, phone))
    if phone and kind == "deal":
        contacts = _owners("contact", Communication.Kind.PHONE, phone)
        companies = _owners("company", Communication.Kind.PHONE, phone)
        return queryset.filter(Q(contact_id__in=contacts) | Q(company_id__in=companies))
    return queryset.filter(search_text__contains=fold(text))


def _owners(kind: str, comm_kind: str, normalized: str) -> QuerySet:
    column = f"{kind}_id"
    return Communication.objects.filter(
        kind=comm_kind, normalized=normalized, **{f"{column}__isnull": False}
    ).values(column)


@dataclass(frozen=True)
class Page:
    """One keyset page: the rows and the cursor of the next page (None on the last one)."""

    items: list[Any]
    next_cursor: str | None


def parse_sort(kind: str, sort: str) -> tuple[str, bool]:
    """Return (field, descending) for a sort like "-created_at"; raise Invalid for others."""
    sort = (sort or "-id").strip()
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    if name not in SORTABLE[kind]:
        raise Invalid(
            "list.bad_sort",
            _("Cannot sort by “%(field)s”.") % {"field": name},
            details={"sort": _("One of: %(fields)s") % {"fields": ", ".join(SORTABLE[kind])}},
        )
    return name, descending


def keyset_page(
    queryset: QuerySet, kind: str, *, sort: str = "-id", cursor: str | None = None, limit: int = 50
) -> Page:
    """Return one page of `queryset` ordered by `sort`, starting after `cursor`."""
    name, descending = parse_sort(kind, sort)
    # NULLs last in both directions, the same on SQLite and PostgreSQL.
    column = F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
    tiebreak = "-pk" if descending else "pk"
    queryset = queryset.order_by(tiebreak) if name == "id" else queryset.order_by(column, tiebreak)
    if cursor:
        value, pk = _decode(cursor)
        model_field = queryset.model._meta.get_field(name)
        value = _cursor_value(model_field, value, cursor)
        queryset = queryset.filter(_after(name, value, pk, descending, nullable=model_field.null))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(getattr(rows[-1], name), rows[-1].pk) if more and rows else None
    return Page(items=rows, next_cursor=next_cursor)


def _cursor_value(model_field, value: Any, cursor: str) -> Any:
    """Check that a decoded cursor value fits the sort column (a cursor of another sort is refused)."""
    if value is None:
        return None
    try:
        if isinstance(value, dict | list | bool):
            raise ValidationError("bad type")
        cleaned = model_field.to_python(value)
        if isinstance(cleaned, dt.datetime) and timezone.is_naive(cleaned):
            raise ValidationError("naive")
        if isinstance(cleaned, Decimal) and (not cleaned.is_finite() or abs(cleaned) > MAX_DECIMAL):
            raise ValidationError("range")
        if isinstance(cleaned, str) and len(cleaned) > 1000:
            raise ValidationError("length")
        return cleaned
    except (ValidationError, TypeError, ValueError, ArithmeticError):
        raise Invalid(
            "list.bad_cursor", _("The page cursor is not valid."), details={"cursor": cursor}
        ) from None


def _after(name: str, value: Any, pk: int, descending: bool, *, nullable: bool) -> Q:
    op = "lt" if descending else "gt"
    if name == "id":
        return Q(**{f"pk__{op}": pk})
    if value is None:
        return Q(**{f"{name}__isnull": True, f"pk__{op}": pk})
    after = Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk})
    return after | Q(**{f"{name}__isnull": True}) if nullable else after


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime | dt.date):
        value = {"t": value.isoformat()}
    elif isinstance(value, Decimal):
        value = {"d": str(value)}
    raw = json.dumps([value, pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict) and "t" in value:
            value = parse_datetime(value["t"]) or dt.date.fromisoformat(value["t"])
        elif isinstance(value, dict) and "d" in value:
            value = Decimal(value["d"])
        pk = int(pk)
        if not 0 <= pk <= MAX_ID:
            raise ValueError(pk)
        return value, pk
    except (ValueError, TypeError, ArithmeticError, json.JSONDecodeError):
        raise Invalid(
            "list.bad_cursor", _("The page cursor is not valid."), details={"cursor": cursor}
        ) from None


# Columns a list never shows: the folded search text can be long.
_LIST_DEFERRED = ("search_text",)
_LIST_RELATED = {"lead": ("status",), "deal": ("stage",), "contact": (), "company": ()}


def item_page(
    queryset: QuerySet,
    kind: str,
    spec: ItemFilter,
    *,
    sort: str = "-id",
    cursor: str | None = None,
    limit: int = 50,
    communications: bool = True,
) -> Page:
    """Return one filtered keyset page of a scoped item queryset, with the stage joined and the
    communications prefetched (two queries, whatever the page size)."""
    queryset = queryset.select_related(None).select_related(*_LIST_RELATED[kind]).defer(*_LIST_DEFERRED)
    if communications and kind != "deal":
        queryset = queryset.prefetch_related(
            Prefetch("communications", queryset=Communication.objects.order_by("kind", "sort", "pk"))
        )
    return keyset_page(apply_filter(queryset, kind, spec), kind, sort=sort, cursor=cursor, limit=limit)
