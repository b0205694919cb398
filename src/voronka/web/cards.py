"""What a board card shows beyond the item's own columns: the next activity and the overdue badge.

`voronka.activities.selectors.annotate_next_activity` adds them to the page's own query
(correlated subqueries evaluated for the 20 cards of a page only), so a card costs no query.
"""

from django.db.models import QuerySet

from voronka.activities.selectors import annotate_next_activity


def with_card_extras(queryset: QuerySet, kind: str) -> QuerySet:
    """Return `queryset` annotated with what the cards show."""
    return annotate_next_activity(queryset, kind)
