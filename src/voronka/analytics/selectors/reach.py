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
from voronka.analytics.sql import HISTORY, case_map, fetch, in_list, item_subquery, timestamp

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
    report: ReportFilter, cohort: Cohort, start: dt.datetime, end: dt.datetime
) -> tuple[str, list]:
    """Return `SELECT item_id` of the cohort: items that entered the pipeline (created) or moved in it."""
    item = f"{report.kind}_id"
    sql = (
        f"SELECT c.{item} FROM {HISTORY} c WHERE c.pipeline_id = %s AND c.moved_at >= %s AND c.moved_at < %s"
    )
    params: list = [report.pipeline.pk, timestamp(start), timestamp(end)]
    if cohort == "created":
        # The creation row (served by the partial index history_creation).
        sql += " AND c.from_stage_id IS NULL"
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
    """Return the cohort's items grouped by furthest stage reached and outcome as of `cutoff`."""
    item = f"{report.kind}_id"
    stages = report.stages
    rank_sql, rank_params = case_map("h.to_stage_id", stages.rank)
    lost_sql, lost_params = in_list("h.to_stage_id", [s.pk for s in stages.lost])
    cohort_query, cohort_params = cohort_sql(report, cohort, start, end)
    items_sql, items_params = item_subquery(scoped_items(user, report), "amount", "assigned_to_id")
    cut = "AND h.moved_at < %s" if cutoff is not None else ""
    cut_params = [timestamp(cutoff)] if cutoff is not None else []
    responsible = "i.assigned_to_id" if by_responsible else "NULL"
    sql = f"""
        SELECT p.reached, p.ended_lost, {responsible}, COUNT(*), SUM(i.amount)
        FROM (
            SELECT h.{item} AS item_id,
                   MAX({rank_sql}) AS reached,
                   CASE WHEN MAX(CASE WHEN {lost_sql} THEN h.moved_at END) = MAX(h.moved_at)
                        THEN 1 ELSE 0 END AS ended_lost
            FROM {HISTORY} h
            WHERE h.pipeline_id = %s {cut} AND h.{item} IN ({cohort_query})
            GROUP BY h.{item}
        ) p
        JOIN ({items_sql}) i ON i.id = p.item_id
        GROUP BY 1, 2, 3
    """
    params = [
        *rank_params,
        *lost_params,
        report.pipeline.pk,
        *cut_params,
        *cohort_params,
        *items_params,
    ]
    if connection.vendor == "postgresql":
        # Each cohort item's rows looked up through its own index (history_deal/lead_sequence), where
        # PostgreSQL would read every row of the pipeline (1.9 million on the bench data, for 174,259
        # items' 440,373) and semi-join them to the cohort. SQLite has no LATERAL (and looks the
        # items up already). An item with no row in the pipeline before the cut-off has no group.
        sql = f"""
            SELECT p.reached, p.ended_lost, {responsible}, COUNT(*), SUM(i.amount)
            FROM (
                SELECT c.item_id, x.reached, x.ended_lost
                FROM (SELECT DISTINCT cohort.{item} AS item_id FROM ({cohort_query}) cohort) c
                JOIN LATERAL (
                    SELECT MAX({rank_sql}) AS reached,
                           CASE WHEN MAX(CASE WHEN {lost_sql} THEN h.moved_at END) = MAX(h.moved_at)
                                THEN 1 ELSE 0 END AS ended_lost,
                           COUNT(*) AS n
                    FROM {HISTORY} h
                    WHERE h.{item} = c.item_id AND h.pipeline_id = %s {cut}
                ) x ON x.n > 0
            ) p
            JOIN ({items_sql}) i ON i.id = p.item_id
            GROUP BY 1, 2, 3
        """
        params = [
            *cohort_params,
            *rank_params,
            *lost_params,
            report.pipeline.pk,
            *cut_params,
            *items_params,
        ]
    return [
        ReachGroup(
            reached=int(reached),
            ended_lost=bool(ended_lost),
            responsible_id=responsible_id,
            items=int(count),
            amount=money(amount),
        )
        for reached, ended_lost, responsible_id, count, amount in fetch(sql, params)
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
