"""Done activities per item, for the reports that count calls and meetings.

The activities app may not be installed with its Activity model yet (it is built in parallel);
`activity_model()` returns None then and the reports say "not available" instead of failing.
"""

import datetime as dt

from django.apps import apps

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.sql import fetch, item_subquery, timestamp

KINDS = ("call", "meeting", "email", "sms", "task")


def activity_model():
    """Return the Activity model, or None when the activities app does not provide it."""
    try:
        return apps.get_model("activities", "Activity")
    except LookupError:
        return None


def done_counts(
    user: User | None, report: ReportFilter, start: dt.datetime, end: dt.datetime
) -> dict[str, int] | None:
    """Return done activities per kind on the report's items (scoped, filtered) done in [start, end)."""
    model = activity_model()
    if model is None:
        return None
    item = f"{report.kind}_id"
    items = scoped_items(user, report)
    if report.kind == "deal":
        items = items.filter(pipeline_id=report.pipeline.pk)
    items_sql, items_params = item_subquery(items)
    sql = f"""
        SELECT a.kind, COUNT(*) FROM {model._meta.db_table} a JOIN ({items_sql}) i ON i.id = a.{item}
        WHERE a.is_done = %s AND a.done_at >= %s AND a.done_at < %s GROUP BY 1
    """
    rows = fetch(sql, [*items_params, True, timestamp(start), timestamp(end)])
    counts = dict.fromkeys(KINDS, 0)
    counts.update({kind: int(count) for kind, count in rows})
    return counts
