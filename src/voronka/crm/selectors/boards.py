"""Kanban boards: per-stage totals in one grouped query, and keyset pages of one column.

Designed for 1,000,000 items: the totals are one GROUP BY over the (stage, amount) index
(an index-only scan), a column page is a range read of the (stage, id) index.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from voronka.crm.models import Deal, Lead, Stage
from voronka.crm.selectors.lists import STAGE_FIELD, Page, keyset_page


@dataclass(frozen=True)
class ColumnTotal:
    """How many items a column holds and the sum of their amounts."""

    count: int = 0
    amount: Decimal = Decimal("0")


def column_totals(queryset: QuerySet, kind: str, stages: list[Stage]) -> dict[int, ColumnTotal]:
    """Return {stage id: ColumnTotal} for `stages`, counted over `queryset` (already scoped and filtered)."""
    field = f"{STAGE_FIELD[kind]}_id"
    rows = (
        queryset.filter(**{f"{field}__in": [stage.pk for stage in stages]})
        .order_by()
        .values(field)
        .annotate(count=Count("pk"), amount=Sum("amount"))
    )
    totals = {stage.pk: ColumnTotal() for stage in stages}
    for row in rows:
        totals[row[field]] = ColumnTotal(count=row["count"], amount=row["amount"] or Decimal("0"))
    return totals


def column_page(
    queryset: QuerySet,
    kind: str,
    stage: Stage,
    *,
    cursor: str | None = None,
    limit: int = 20,
    values: tuple[str, ...] | None = None,
) -> Page:
    """Return one page of the items in `stage`, newest first (dicts of `values` if given).

    The page's ids are read from the item table alone first (`ids_first`): joined with the
    responsible's row, a department-scoped column made SQLite seek every item of the stage per
    person and sort them all, where the ids alone walk the (stage, id) order and stop at the page.
    """
    return keyset_page(
        queryset.filter(**{STAGE_FIELD[kind]: stage}),
        kind,
        sort="-id",
        cursor=cursor,
        limit=limit,
        values=values,
        ids_first=True,
    )


def board_pages(
    queryset: QuerySet, kind: str, stages: list[Stage], *, values: tuple[str, ...], limit: int = 20
) -> list[Page]:
    """Return the first page of every column of a board, as dicts of `values` (which include `id`).

    Each column's ids come from the item table alone (one short index walk per column, as in
    `column_page`), then the rows of all the columns' ids in one query: a board of eight
    columns costs nine statements, not sixteen.
    """
    heads = [
        keyset_page(
            queryset.filter(**{STAGE_FIELD[kind]: stage}), kind, sort="-id", limit=limit, values=("id",)
        )
        for stage in stages
    ]
    ids = [row["id"] for head in heads for row in head.items]
    found = {row["id"]: row for row in queryset.filter(pk__in=ids).order_by().values(*values)} if ids else {}
    return [
        Page([found[row["id"]] for row in head.items if row["id"] in found], head.next_cursor)
        for head in heads
    ]


def stage_item_counts(pipeline) -> dict[int, int]:
    """Return {stage id: number of items} over every item of a pipeline (for the settings, unscoped)."""
    model, field = (Lead, "status_id") if pipeline.kind == "lead" else (Deal, "stage_id")
    rows = model.objects.filter(**{f"{field}__in": pipeline.stages.values("pk")}).order_by().values(field)
    return {row[field]: row["count"] for row in rows.annotate(count=Count("pk"))}
