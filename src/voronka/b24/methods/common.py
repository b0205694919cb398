"""Helpers every method family shares: ids, paging, item look-ups."""

from typing import Any

from django.db.models import QuerySet

from voronka.b24.parsing import param
from voronka.b24.protocol import PAGE, Call, Page, bad_argument
from voronka.crm.selectors.items import get_visible, visible
from voronka.lib.errors import NotFound


def item_id(call: Call, name: str = "id") -> int:
    """The positive id a method needs, or 400 "ID is not defined or invalid."."""
    raw = param(call.params, name)
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise bad_argument("ID is not defined or invalid.")
    return value


def mapping_param(call: Call, name: str, *, required: bool = False) -> dict[str, Any]:
    """A parameter that must be an object (fields, filter, order, params)."""
    value = param(call.params, name)
    if value in (None, "", []):
        if required:
            raise bad_argument(f"Parameter '{name}' must be array.")
        return {}
    if not isinstance(value, dict):
        raise bad_argument(f"Parameter '{name}' must be array.")
    return value


def start_of(call: Call) -> int:
    raw = param(call.params, "start", 0)
    try:
        return int(str(raw).strip() or 0)
    except (TypeError, ValueError):
        return 0


def page(call: Call, queryset: QuerySet, render, *, classic: bool = True, wrap: str | None = None) -> Page:
    """A 50-row page: `start` (floored to 50 in classic methods), exact `total`, `next` when more.

    A negative `start` skips the count: the first 50 rows, no `next` (Bitrix24's fast export).
    """
    start = start_of(call)
    if start < 0:
        rows = [render(obj) for obj in queryset[:PAGE]]
        return Page({wrap: rows} if wrap else rows, total=0)
    if classic:
        start = start // PAGE * PAGE
    total = queryset.count()
    rows = [render(obj) for obj in queryset[start : start + PAGE]]
    following = start + len(rows)
    return Page({wrap: rows} if wrap else rows, total=total, next=following if following < total else None)


def visible_items(call: Call, kind: str) -> QuerySet:
    queryset = visible(call.user, kind)
    if kind == "deal":
        return queryset.prefetch_related("pipeline__stages")
    return queryset.prefetch_related("communications")


def get_item(call: Call, kind: str, pk: int, *, coded: bool = False):
    """The item the caller may see, or Bitrix24's "Not found"."""
    try:
        return visible_items(call, kind).get(pk=pk)
    except visible_items(call, kind).model.DoesNotExist:
        if coded:
            raise NotFound("item.not_found", "Item not found") from None
        raise bad_argument("Not found") from None


def visible_item(call: Call, kind: str, pk: int):
    """The same, through the plain selector (for writes)."""
    try:
        return get_visible(call.user, kind, pk)
    except NotFound:
        raise bad_argument("Not found") from None
