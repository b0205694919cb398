"""Board column totals: exact for the stages in progress, briefly cached for the closing ones.

With 1,000,000 deals most of them sit in the won and lost columns, and counting those is
what makes a board slow (an index-only scan of every closed deal, ~100 ms on SQLite). The
totals of closing stages change only when an item is closed, deleted, restored or changes
amount, so they are kept per process for BOARD_CLOSED_TOTALS_SECONDS (60 by default; 0
turns the cache off), keyed by the exact SQL of the scoped, filtered query. Any item event
in this process drops the cache at once; a change made through another web process shows
in the closed columns after at most that many seconds. Columns in progress are always exact.
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.db.models import QuerySet

from voronka.crm import events
from voronka.crm.selectors.boards import ColumnTotal, column_totals
from voronka.lib import bus

_LIMIT = 500
_lock = threading.Lock()
_cache: OrderedDict[tuple, tuple[float, dict[int, ColumnTotal]]] = OrderedDict()


def _seconds() -> float:
    return float(getattr(settings, "BOARD_CLOSED_TOTALS_SECONDS", 60))


def board_totals(queryset: QuerySet, kind: str, stages: list) -> dict[int, ColumnTotal]:
    """Return {stage id: ColumnTotal} for every stage of a board."""
    in_progress = [stage for stage in stages if not stage.closes_items]
    closing = [stage for stage in stages if stage.closes_items]
    totals = column_totals(queryset, kind, in_progress) if in_progress else {}
    if closing:
        totals.update(_closing_totals(queryset, kind, closing))
    return totals


def _closing_totals(queryset: QuerySet, kind: str, stages: list) -> dict[int, ColumnTotal]:
    seconds = _seconds()
    if seconds <= 0:
        return column_totals(queryset, kind, stages)
    sql, params = queryset.query.sql_with_params()
    key = (kind, tuple(stage.pk for stage in stages), sql, tuple(map(str, params)))
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            _cache.move_to_end(key)
            return dict(hit[1])
    fresh = column_totals(queryset, kind, stages)
    with _lock:
        _cache[key] = (now + seconds, fresh)
        while len(_cache) > _LIMIT:
            _cache.popitem(last=False)
    return dict(fresh)


def forget(_events=None) -> None:
    """Drop every cached total (items changed)."""
    with _lock:
        _cache.clear()


def subscribe() -> None:
    """Drop the cache whenever an item is created, changed, moved, deleted, restored or merged."""
    for event_type in (
        events.ItemCreated,
        events.ItemUpdated,
        events.ItemDeleted,
        events.ItemRestored,
        events.StageChanged,
        events.LeadConverted,
        events.ItemsMerged,
    ):
        bus.subscribe(event_type, batch=True)(forget)
