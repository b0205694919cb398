"""How far each item of a cohort got along a pipeline: the one aggregate the funnel, the
bottlenecks and the plan are built from.

Per item of the cohort (its history rows in the pipeline up to a cut-off), one GROUP BY
gives the furthest stage reached on the path (open stages then won; an item that skipped a
stage has passed it) and whether its last entry was into a lost stage. Grouping those per
(furthest stage, ended lost[, responsible]) leaves a handful of rows for Python to add up.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db import connection

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.sql import HISTORY, case_map, fence, fetch, in_list, item_subquery, timestamp

Cohort = Literal["created", "activity"]
COHORTS = ("created", "activity")


@dataclass(frozen=True, slots=True)
class ReachGroup:
    """Items with the same furthest stage and outcome (and responsible, when asked)."""

    reached: int  # rank on the path, 0 = never on the path (created straight into a lost stage)
    ended_lost: bool
    responsible_id: int | None
    items: int
    amount: Decimal


def cohort_sql(
    report: ReportFilter, cohort: Cohort, start: dt.datetime, end: dt.datetime, *, returning: bool = False
) -> tuple[str, list]:
    """Return `SELECT item_id` of the cohort: items that entered the pipeline (created) or moved in it.

    With `returning`, only the cohort's items that were in the pipeline before `start` (their first
    entry into it, `first_entry_at` kept by crm.first_entries, is earlier).
    """
    item = f"{report.kind}_id"
    sql = (
        f"SELECT c.{item} FROM {HISTORY} c WHERE c.pipeline_id = %s AND c.moved_at >= %s AND c.moved_at < %s"
    )
    params: list = [report.pipeline.pk, timestamp(start), timestamp(end)]
    if cohort == "created":
        # The creation row (served by the partial index history_creation).
        sql += " AND c.from_stage_id IS NULL"
    if returning:
        sql += " AND c.first_entry_at < %s"
        params.append(timestamp(start))
    return sql, params


def reads_the_period_first() -> bool:
    """True where the furthest stages are read from the period's rows on (PostgreSQL), False where
    they are read item by item through the cohort's own index (SQLite, whose nested loops over
    history_*_sequence beat its sort of the period's rows for a GROUP BY: 0.62 / 0.81 s of CPU
    against 0.73 / 1.23 s for the 90-day funnels at full size)."""
    return connection.vendor == "postgresql"


def _per_item_by_items(
    report: ReportFilter, cohort: Cohort, start: dt.datetime, end: dt.datetime, cutoff: dt.datetime | None
) -> tuple[str, list]:
    """`SELECT item_id, reached, ended_lost` per cohort item: every row of each cohort item in the
    pipeline, found through the item's own index."""
    item = f"{report.kind}_id"
    stages = report.stages
    rank_sql, rank_params = case_map("h.to_stage_id", stages.rank)
    lost_sql, lost_params = in_list("h.to_stage_id", [s.pk for s in stages.lost])
    cohort_query, cohort_params = cohort_sql(report, cohort, start, end)
    cut, cut_params = ("AND h.moved_at < %s", [timestamp(cutoff)]) if cutoff is not None else ("", [])
    sql = f"""
        SELECT h.{item} AS item_id,
               MAX({rank_sql}) AS reached,
               CASE WHEN MAX(CASE WHEN {lost_sql} THEN h.moved_at END) = MAX(h.moved_at)
                    THEN 1 ELSE 0 END AS ended_lost
        FROM {HISTORY} h
        WHERE h.pipeline_id = %s {cut} AND h.{item} IN ({cohort_query})
        GROUP BY h.{item}
    """
    return sql, [*rank_params, *lost_params, report.pipeline.pk, *cut_params, *cohort_params]


def _per_item_from_the_period(
    report: ReportFilter, cohort: Cohort, start: dt.datetime, end: dt.datetime, cutoff: dt.datetime | None
) -> tuple[str, list]:
    """`SELECT item_id, reached, ended_lost` per cohort item, from two parts: the pipeline's rows
    from `start` on (a range of history_pipeline_moved, index-only; for the activity cohort cut at
    `end` they are the cohort itself), and, for the few cohort items whose first entry into the
    pipeline (`first_entry_at`, kept by crm.first_entries on each of their rows) is earlier, the
    furthest stage of their rows before `start`, looked up per item through its own index. Each
    cohort item has a row in the period, later than any before `start`, so the earlier rows can
    only raise its furthest stage, never change whether it ended lost."""
    item = f"{report.kind}_id"
    stages = report.stages
    rank_sql, rank_params = case_map("h.to_stage_id", stages.rank)
    lost_sql, lost_params = in_list("h.to_stage_id", [s.pk for s in stages.lost])
    earlier_rank_sql, earlier_rank_params = case_map("e.to_stage_id", stages.rank)
    cut, cut_params = ("AND h.moved_at < %s", [timestamp(cutoff)]) if cutoff is not None else ("", [])
    if cohort == "activity" and cutoff == end:
        # The period's rows are the cohort: every item with one is in it.
        in_cohort, cohort_params = f"h.{item} IS NOT NULL", []
    else:
        cohort_query, cohort_params = cohort_sql(report, cohort, start, end)
        in_cohort = f"h.{item} IN ({cohort_query})"
    returning_sql, returning_params = cohort_sql(report, cohort, start, end, returning=True)
    sql = f"""
        SELECT p.item_id, CASE WHEN q.reached > p.reached THEN q.reached ELSE p.reached END AS reached,
               p.ended_lost
        FROM (
            SELECT h.{item} AS item_id, MAX({rank_sql}) AS reached,
                   CASE WHEN MAX(CASE WHEN {lost_sql} THEN h.moved_at END) = MAX(h.moved_at)
                        THEN 1 ELSE 0 END AS ended_lost
            FROM {HISTORY} h
            WHERE h.pipeline_id = %s AND h.moved_at >= %s {cut} AND {in_cohort}
            GROUP BY h.{item}
        ) p
        LEFT JOIN (
            SELECT b.item_id,
                   (SELECT MAX({earlier_rank_sql}) FROM {HISTORY} e
                    WHERE e.{item} = b.item_id AND +e.pipeline_id = %s AND e.moved_at < %s) AS reached
            FROM (SELECT DISTINCT c.{item} AS item_id FROM ({returning_sql}) c) b{fence()}
        ) q ON q.item_id = p.item_id
    """
    params = [
        *rank_params,
        *lost_params,
        report.pipeline.pk,
        timestamp(start),
        *cut_params,
        *cohort_params,
        *earlier_rank_params,
        report.pipeline.pk,
        timestamp(start),
        *returning_params,
    ]
    return sql, params


def reach_groups(
    user: User | None,
    report: ReportFilter,
    *,
    cohort: Cohort,
    start: dt.datetime,
    end: dt.datetime,
    cutoff: dt.datetime | None,
    by_responsible: bool = False,
) -> list[ReachGroup]:
    """Return the cohort's items grouped by furthest stage reached and outcome as of `cutoff`
    (None: up to now; else not before `end`)."""
    if cutoff is not None and cutoff < end:
        raise ValueError("reach_groups: the cut-off may not come before the end of the period")
    per_item = _per_item_from_the_period if reads_the_period_first() else _per_item_by_items
    per_item_sql, per_item_params = per_item(report, cohort, start, end, cutoff)
    items_sql, items_params = item_subquery(scoped_items(user, report), "amount", "assigned_to_id")
    responsible = "i.assigned_to_id" if by_responsible else "NULL"
    sql = f"""
        SELECT p.reached, p.ended_lost, {responsible}, COUNT(*), SUM(i.amount)
        FROM ({per_item_sql}) p
        JOIN ({items_sql}) i ON i.id = p.item_id
        GROUP BY 1, 2, 3
    """
    return [
        ReachGroup(
            reached=int(reached),
            ended_lost=bool(ended_lost),
            responsible_id=responsible_id,
            items=int(count),
            amount=money(amount),
        )
        for reached, ended_lost, responsible_id, count, amount in fetch(
            sql, [*per_item_params, *items_params]
        )
    ]


def money(value) -> Decimal:
    """Return a database sum as a Decimal with cents (SQLite sums decimals as floats)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class StageReach:
    """Counts for one stage of the path, from a list of ReachGroup."""

    reached: int  # items whose furthest stage is this one or later
    amount: Decimal
    passed: int  # items whose furthest stage is later
    lost_here: int  # furthest stage is this one, and the item ended lost
    open_here: int  # furthest stage is this one, and the item did not end lost


def stage_reach(groups: list[ReachGroup], rank: int) -> StageReach:
    """Add up the groups for the stage at `rank`."""
    reached = [g for g in groups if g.reached >= rank]
    here = [g for g in groups if g.reached == rank]
    return StageReach(
        reached=sum(g.items for g in reached),
        amount=sum((g.amount for g in reached), Decimal("0.00")),
        passed=sum(g.items for g in groups if g.reached > rank),
        lost_here=sum(g.items for g in here if g.ended_lost),
        open_here=sum(g.items for g in here if not g.ended_lost),
    )
