"""Report 2, time in stage: dwell per stage, cycle time to won or lost, and their months.

Definitions (docs/analytics.md, "Time in stage"):
- one observation per entry into an open stage of the pipeline made in the period: the dwell is
  the next entry's moved_at minus this entry's moved_at (the next entry of the same item in any
  pipeline, ordered by moved_at then id: the row's `left_at`, kept by triggers, crm.stays);
- an entry the item has not left yet is not an observation (its dwell is unknown); it is
  counted as `still_in_stage`;
- cycle time: one observation per entry into a won or lost stage of the pipeline made in the
  period, from the item's creation (`created_at`) to that entry;
- percentiles: linear interpolation between closest ranks (analytics.stats);
- months: calendar months in the company's time zone, by the entry's moved_at.
"""

from dataclasses import asdict, dataclass, field

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, local_midnight, month_starts, scoped_items
from voronka.analytics.sql import (
    HISTORY,
    Distribution,
    bucket_case,
    distributions,
    fetch,
    in_list,
    item_join,
    item_subquery,
    seconds_between,
    timestamp,
)


@dataclass(frozen=True, slots=True)
class StageDwell:
    stage_id: int
    code: str
    title: str
    dwell: Distribution
    still_in_stage: int
    months: list[Distribution] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimeInStage:
    filter: dict
    unit: str  # the unit of every figure: seconds
    months: list[str]  # YYYY-MM of each month column
    stages: list[StageDwell]
    cycle_won: Distribution
    cycle_lost: Distribution
    cycle_won_months: list[Distribution]
    cycle_lost_months: list[Distribution]

    def as_dict(self) -> dict:
        return asdict(self)


def _month_bounds(report: ReportFilter):
    months = month_starts(report.start, report.end)
    bounds = [max(report.start, local_midnight(m)) for m in months]
    return months, [*bounds, report.end]


def _dwell_rows(user: User | None, report: ReportFilter, month_sql: str, month_params: list) -> list[tuple]:
    item = f"{report.kind}_id"
    open_sql, open_params = in_list("e.to_stage_id", [s.pk for s in report.stages.open])
    items_sql, items_params = item_join(scoped_items(user, report), "i", f"e.{item}")
    # left_at is the item's next entry in any pipeline (crm.stays): the index history_stays holds
    # every column read here.
    observations = f"""
        SELECT e.to_stage_id AS stage_id, {month_sql} AS month, {seconds_between("e.moved_at", "e.left_at")} AS v
        FROM {HISTORY} e {items_sql}
        WHERE e.pipeline_id = %s AND e.moved_at >= %s AND e.moved_at < %s AND {open_sql}
    """
    params = [
        *month_params,
        *items_params,
        report.pipeline.pk,
        timestamp(report.start),
        timestamp(report.end),
        *open_params,
    ]
    # Entries the item has not left have no dwell (v is NULL): counted apart as still in the stage.
    return fetch(observations, params)


def _cycle_rows(user: User | None, report: ReportFilter, month_sql: str, month_params: list) -> list[tuple]:
    item = f"{report.kind}_id"
    stages = report.stages
    # `+`: the period's rows come from a covering index on (pipeline, moved_at, to_stage, ...); the
    # stage index would fetch each table row for its deal.
    closing_sql, closing_params = in_list("+h.to_stage_id", [s.pk for s in stages.won + stages.lost])
    won_sql, won_params = in_list("h.to_stage_id", [s.pk for s in stages.won])
    items_sql, items_params = item_subquery(scoped_items(user, report), "created_at")
    observations = f"""
        SELECT CASE WHEN {won_sql} THEN 1 ELSE 0 END AS won, {month_sql} AS month,
               {seconds_between("i.created_at", "h.moved_at")} AS v
        FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND {closing_sql}
    """
    params = [
        *won_params,
        *month_params,
        *items_params,
        report.pipeline.pk,
        timestamp(report.start),
        timestamp(report.end),
        *closing_params,
    ]
    return fetch(observations, params)


def time_in_stage(user: User | None, report: ReportFilter) -> TimeInStage:
    """Return the dwell per open stage and the cycle times of the period, overall and per month."""
    months, bounds = _month_bounds(report)
    month_sql, month_params = bucket_case("e.moved_at", bounds)
    # The percentiles of each stage and of each stage's months (analytics.sql.distributions).
    rows = _dwell_rows(user, report, month_sql, month_params)
    dwell, unknown = distributions(rows, 2, [[0], [0, 1]])
    still: dict[int, int] = {}
    for (stage_id, _month), count in unknown.items():
        still[stage_id] = still.get(stage_id, 0) + count
    cycle_month_sql, cycle_month_params = bucket_case("h.moved_at", bounds)
    rows = _cycle_rows(user, report, cycle_month_sql, cycle_month_params)
    cycle, _unknown = distributions(rows, 2, [[0], [0, 1]])
    empty = Distribution.empty()
    stages = [
        StageDwell(
            stage_id=stage.pk,
            code=stage.code,
            title=stage.title,
            dwell=dwell.get((stage.pk, -1), empty),
            still_in_stage=still.get(stage.pk, 0),
            months=[dwell.get((stage.pk, index), empty) for index in range(len(months))],
        )
        for stage in report.stages.open
    ]
    return TimeInStage(
        filter=report.as_dict(),
        unit="seconds",
        months=[m.strftime("%Y-%m") for m in months],
        stages=stages,
        cycle_won=cycle.get((1, -1), empty),
        cycle_lost=cycle.get((0, -1), empty),
        cycle_won_months=[cycle.get((1, index), empty) for index in range(len(months))],
        cycle_lost_months=[cycle.get((0, index), empty) for index in range(len(months))],
    )
