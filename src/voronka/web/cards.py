"""What a board card shows beyond the item's own columns: the next activity and the overdue badge.

The figures come from `voronka.activities.selectors.annotate_next_activity`, asked once for
every card on the page (one query keyed by the cards' ids) rather than as an annotation of
each column's query: eight columns would build and compile the seven subqueries eight times,
which costs more Python time than the query itself.
"""

from voronka.activities.selectors import annotate_next_activity
from voronka.crm.selectors.items import visible

FIELDS = ("next_activity_id", "next_activity_deadline", "next_activity_subject", "overdue_count")


def attach_card_extras(user, kind: str, items: list) -> list:
    """Set the next activity and the overdue count on each item of `items` (one query); return them."""
    if not items:
        return items
    rows = annotate_next_activity(visible(user, kind).filter(pk__in=[item.pk for item in items]), kind)
    found = {row[0]: row[1:] for row in rows.order_by().values_list("pk", *FIELDS)}
    for item in items:
        for name, value in zip(FIELDS, found.get(item.pk, (None, None, None, 0)), strict=True):
            setattr(item, name, value)
    return items
