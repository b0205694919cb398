"""Report 7, the plan (reverse funnel): what a target takes at the historical rates, against the run rate.

Definitions (docs/analytics.md, "Plan"):
- history: the funnel's created cohort over the report's period gives each open stage's
  decided conversion (as in bottlenecks); the chance to win once a stage is reached is the
  product of the conversions from that stage on; the average won amount is the cohort's won
  amount / won items;
- won needed = the target count, or ⌈target amount / average won amount⌉; entries needed at a
  stage = ⌈won needed / chance to win from it⌉;
- leads needed (deal pipelines): entries needed at the first stage × the share of the cohort's
  deals made from leads ÷ (deals made from leads ÷ leads created in the period);
- calls and meetings needed = won needed × done calls (meetings) on the pipeline's items in the
  period ÷ won items of the cohort (when activities exist);
- run rate: the same counts over the last `days` days up to now — leads created, items entering
  each stage (distinct items with an entry into it), done calls and meetings, items won; growth
  needed = needed ÷ run rate − 1.
"""

import datetime as dt
import math
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from voronka.accounts.models import User
from voronka.analytics.activity_source import done_counts
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.selectors.bottlenecks import Conversion
from voronka.analytics.selectors.reach import reach_groups, stage_reach
from voronka.analytics.sql import HISTORY, fetch, in_list, item_subquery, timestamp
from voronka.analytics.stats import rate
from voronka.lib.errors import Invalid


@dataclass(frozen=True, slots=True)
class PlanRow:
    metric: str  # "leads", "stage", "calls", "meetings", "won"
    stage_id: int | None
    label: str
    historical_rate: float | None  # chance to win from here, or activities per won item
    needed: int | None
    run_rate: int | None
    growth: float | None  # needed / run rate − 1


@dataclass(frozen=True, slots=True)
class Plan:
    filter: dict
    days: int
    target_amount: Decimal | None
    target_count: int | None
    average_won_amount: Decimal | None
    won_needed: int | None
    win_rate: float | None
    rows: list[PlanRow]
    activities_available: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _ceil(value: float | None) -> int | None:
    return None if value is None else math.ceil(value - 1e-9)


def _growth(needed: int | None, actual: int | None) -> float | None:
    if needed is None or actual is None or actual == 0:
        return None
    return needed / actual - 1


def plan(
    user: User | None,
    report: ReportFilter,
    *,
    target_amount: Decimal | None = None,
    target_count: int | None = None,
    days: int = 30,
) -> Plan:
    """Return what it takes to win the target in `days` days, at the rates of the report's period."""
    if (target_amount is None) == (target_count is None):
        raise Invalid("analytics.plan_target", _("Give either a target amount or a target count."))
    if (target_amount is not None and target_amount <= 0) or (target_count is not None and target_count <= 0):
        raise Invalid("analytics.plan_target", _("The target must be above zero."))
    if not 1 <= days <= 366:
        raise Invalid("analytics.plan_days", _("The plan period is 1 to 366 days."))
    groups = reach_groups(user, report, cohort="created", start=report.start, end=report.end, cutoff=None)
    stages = report.stages
    won_rank = stages.won_rank
    won = stage_reach(groups, won_rank) if won_rank else None
    average = (won.amount / won.reached).quantize(Decimal("0.01")) if won and won.reached else None
    if target_count is not None:
        won_needed = target_count
    else:
        won_needed = _ceil(float(target_amount / average)) if average else None
    # chance to win once a stage is reached: the product of the decided conversions from it on
    chances: dict[int, float | None] = {}
    chance: float | None = 1.0
    for rank in range(len(stages.open), 0, -1):
        conversion = Conversion.of(groups, rank).rate
        chance = None if chance is None or conversion is None else chance * conversion
        chances[rank] = chance
    window_end = report.now
    window_start = window_end - dt.timedelta(days=days)
    entries = _entries(user, report, window_start, window_end)
    rows = [_lead_row(user, report, groups, chances.get(1), won_needed, window_start, window_end)]
    for rank, stage in enumerate(stages.open, start=1):
        probability = chances.get(rank)
        needed = _ceil(won_needed / probability) if won_needed is not None and probability else None
        actual = entries.get(stage.pk, 0)
        rows.append(
            PlanRow("stage", stage.pk, stage.title, probability, needed, actual, _growth(needed, actual))
        )
    history_activities = done_counts(user, report, report.start, report.end)
    recent_activities = done_counts(user, report, window_start, window_end)
    for kind, label in (("call", _("Calls")), ("meeting", _("Meetings"))):
        if history_activities is None:
            rows.append(PlanRow(f"{kind}s", None, label, None, None, None, None))
            continue
        per_won = rate(history_activities[kind], won.reached) if won else None
        needed = _ceil(won_needed * per_won) if won_needed is not None and per_won is not None else None
        actual = recent_activities[kind]
        rows.append(PlanRow(f"{kind}s", None, label, per_won, needed, actual, _growth(needed, actual)))
    won_actual = sum(entries.get(s.pk, 0) for s in stages.won)
    rows.append(
        PlanRow(
            "won",
            None,
            pgettext("plan row", "Won"),
            1.0,
            won_needed,
            won_actual,
            _growth(won_needed, won_actual),
        )
    )
    rows = [r for r in rows if r is not None]
    return Plan(
        filter=report.as_dict(),
        days=days,
        target_amount=target_amount,
        target_count=target_count,
        average_won_amount=average,
        won_needed=won_needed,
        win_rate=chances.get(1),
        rows=rows,
        activities_available=history_activities is not None,
    )


def _entries(user: User | None, report: ReportFilter, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Distinct items entering each stage of the pipeline in [start, end)."""
    item = f"{report.kind}_id"
    items_sql, items_params = item_subquery(scoped_items(user, report))
    path_sql, path_params = in_list("h.to_stage_id", [s.pk for s in report.stages.path])
    sql = f"""
        SELECT h.to_stage_id, COUNT(DISTINCT h.{item}) FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND {path_sql} GROUP BY 1
    """
    params = [*items_params, report.pipeline.pk, timestamp(start), timestamp(end), *path_params]
    return {r[0]: int(r[1]) for r in fetch(sql, params)}


def _lead_row(user, report, groups, first_chance, won_needed, start, end) -> PlanRow | None:
    """Leads needed for a deal pipeline (the lead pipeline's first stage *is* the leads)."""
    if report.kind != "deal":
        return None
    leads = scoped_items(user, report, "lead")
    leads_created = leads.filter(created_at__gte=report.start, created_at__lt=report.end).count()
    cohort = sum(g.items for g in groups)
    deals = scoped_items(user, report).filter(
        pipeline_id=report.pipeline.pk, created_at__gte=report.start, created_at__lt=report.end
    )
    from_leads = deals.filter(lead__isnull=False).count()
    share = rate(from_leads, cohort)
    per_lead = rate(from_leads, leads_created)
    first_needed = _ceil(won_needed / first_chance) if won_needed is not None and first_chance else None
    needed = (
        _ceil(first_needed * share / per_lead) if first_needed is not None and share and per_lead else None
    )
    actual = leads.filter(created_at__gte=start, created_at__lt=end).count()
    chance = first_chance * per_lead / share if first_chance is not None and share and per_lead else None
    return PlanRow("leads", None, _("Leads"), chance, needed, actual, _growth(needed, actual))
