"""Filtering, searching, sorting and keyset pagination of item lists (API, web lists, boards, export).

Every filter is on an indexed column; the search `q` is one index look-up for a phone or
an e-mail, an id match for a number, and a substring match on the folded search text
otherwise. Pages are keyset (cursor) pages: the cost of page 1,000 is the cost of page 1.
"""

import base64
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.crm import config_cache
from voronka.crm.models import Communication, Company, Contact, Deal, Lead, Stage
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
MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
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
    queryset: QuerySet,
    kind: str,
    *,
    sort: str = "-id",
    cursor: str | None = None,
    limit: int = 50,
    values: tuple[str, ...] | None = None,
    ids_first: bool = False,
) -> Page:
    """Return one page of `queryset` ordered by `sort`, starting after `cursor`.

    With `values`, the rows are dicts of those columns (which include `id` and the sort column).
    With `ids_first`, the page's ids are read from the item's own table before its rows and their
    joins (one query more): joined, SQLite may drive the query from the stage table and sort every
    item in the user's scope instead of walking the ordered index and stopping after the page.
    """
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
    if ids_first:
        ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
        chosen = queryset.filter(pk__in=ids)
        if values is not None:
            by_id = {row["id"]: row for row in chosen.values(*values)} if ids else {}
        else:
            by_id = {item.pk: item for item in chosen} if ids else {}
        rows = [by_id[pk] for pk in ids if pk in by_id]
    elif values is not None:
        rows = list(queryset.values(*values)[: limit + 1])
    else:
        rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = (
            _encode(last[name], last["id"]) if values is not None else _encode(getattr(last, name), last.pk)
        )
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


# A list row: every column but the folded search text (it can be long), and the stage's columns.
_STAGE_COLUMNS = ("id", "code", "name", "is_system_name", "name_context", "semantics", "sort", "pipeline_id")


def list_columns(kind: str) -> tuple[str, ...]:
    """Return the columns of a list row of `kind` (see `item_page`)."""
    model = MODELS[kind]
    columns = [field.attname for field in model._meta.concrete_fields if field.attname != "search_text"]
    stage_field = STAGE_FIELD.get(kind)
    if stage_field:
        columns += [f"{stage_field}__{column}" for column in _STAGE_COLUMNS]
    return tuple(columns)


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
    """Return one filtered keyset page of a scoped item queryset as rows ready to be shown.

    Two queries whatever the page size: the page and its communications; the stages come from
    the configuration this process keeps (crm.config_cache), not from a join.
    Rows are dicts (`row_of()` gives one item the same shape): the columns of `list_columns()`,
    "stage" (id, code, name as shown, semantics, sort, pipeline_id) for leads and deals, and
    "communication_rows" ((kind, label, value, normalized) tuples) for leads and clients.
    Rows are plain values rather than model instances: a 50-row page is built in half the time.
    """
    page = keyset_page(
        apply_filter(queryset.select_related(None), kind, spec),
        kind,
        sort=sort,
        cursor=cursor,
        limit=limit,
        values=_item_columns(kind),
    )
    stage_field = STAGE_FIELD.get(kind)
    if stage_field:
        names: dict[int, str] = {}
        known = _stages()
        missing = {row[f"{stage_field}_id"] for row in page.items} - known.keys()
        if missing:  # a stage newer than what this process read (created since): read it now
            known = {**known, **_stage_values(Stage.objects.filter(pk__in=missing))}
        for row in page.items:
            stage = known[row[f"{stage_field}_id"]]
            if stage["id"] not in names:
                names[stage["id"]] = Stage.shown_name(
                    stage["name"], is_system_name=stage["is_system_name"], context=stage["name_context"]
                )
            row["stage"] = _shown_stage(stage, names[stage["id"]])
    if communications and kind != "deal":
        _attach_communications(kind, page.items)
    return page


def _item_columns(kind: str) -> tuple[str, ...]:
    return tuple(column for column in list_columns(kind) if "__" not in column)


def _stage_values(queryset) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in queryset.order_by().values(*_STAGE_COLUMNS)}


def _stages() -> dict[int, dict[str, Any]]:
    """Every stage's columns shown in a list row, by id (kept while the configuration stays)."""
    return config_cache.cached("list_stages", lambda: _stage_values(Stage.objects.all()))


def _shown_stage(stage: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "id": stage["id"],
        "code": stage["code"],
        "name": name,
        "semantics": stage["semantics"],
        "sort": stage["sort"],
        "pipeline_id": stage["pipeline_id"],
    }


def _attach_communications(kind: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    found: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    owner = f"{kind}_id"
    for owner_id, comm_kind, label, value, normalized in (
        Communication.objects.filter(**{f"{owner}__in": [row["id"] for row in rows]})
        .order_by("kind", "sort", "pk")
        .values_list(owner, "kind", "label", "value", "normalized")
    ):
        found[owner_id].append((comm_kind, label, value, normalized))
    for row in rows:
        row["communication_rows"] = found.get(row["id"], [])


def row_of(item) -> dict[str, Any]:
    """Return one item as `item_page` returns its rows (its communications read in one query)."""
    kind = item.kind.value
    row = {column: getattr(item, column) for column in list_columns(kind) if "__" not in column}
    stage_field = STAGE_FIELD.get(kind)
    if stage_field:
        stage = getattr(item, stage_field)
        row["stage"] = _shown_stage(
            {column: getattr(stage, column) for column in _STAGE_COLUMNS if column != "name"}, stage.title
        )
    if kind != "deal":
        fresh = getattr(item, "fresh_communications", None)
        if fresh is not None and all(c.pk is not None for c in fresh):
            # Just written by crm.services.comms.replace(fresh=True): shown as the query orders them.
            ordered = sorted(fresh, key=lambda c: (c.kind, c.sort, c.pk))
            row["communication_rows"] = [(c.kind, c.label, c.value, c.normalized) for c in ordered]
        else:
            _attach_communications(kind, [row])
    return row
