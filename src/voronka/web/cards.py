"""What a board card shows beyond the item's own columns.

The next activity and the overdue badge come from the activities app when it is installed:
`annotate_next_activity` (voronka.activities.selectors) adds `next_activity_at`,
`next_activity_title` and `is_overdue` to a queryset of leads or deals. Until then the
slot on the card renders nothing.
"""

from importlib import import_module

from django.db.models import QuerySet


def with_card_extras(queryset: QuerySet, kind: str) -> QuerySet:
    """Return `queryset` annotated with what the cards show (the next activity, when available)."""
    try:
        selectors = import_module("voronka.activities.selectors")
    except ModuleNotFoundError:
        return queryset
    annotate = getattr(selectors, "annotate_next_activity", None)
    return annotate(queryset, kind) if annotate else queryset
