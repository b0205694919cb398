"""Report 6, sources: lead → deal → won per source, with revenue and cycle time.

Definitions (docs/analytics.md, "Sources"): the cohort is by first contact —
- the leads created in the period (the lead's source);
- the deals made from those leads (any time up to now), and the deals created in the period
  without a lead (the deal's source);
- converted = the lead has been converted; won = the deal's current stage is a won stage;
  revenue = the won deals' amounts;
- cycle time = from the first contact (the lead's, or the lead-less deal's creation) to the
  deal's closing (`closed_at`), over the won deals; percentiles as everywhere.
When the report's pipeline is a deal pipeline, only deals of that pipeline count; with the
lead pipeline, deals of every pipeline count. The responsible, department and source filters
apply to leads and deals alike; scoping is each kind's own read right.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.selectors.reach import money
from voronka.analytics.sql import (
    Distribution,
    fetch,
    in_list,
    item_subquery,
    percentile_sql,
    seconds_between,
    timestamp,
)
from voronka.analytics.stats import rate


@dataclass(frozen=True, slots=True)
class SourceRow:
    source_id: int | None
    code: str
    title: str
    leads: int
    converted: int
    deals: int  # from those leads, plus lead-less deals
    direct_deals: int
    won: int
    revenue: Decimal
    lead_to_deal: float | None  # converted / leads
    deal_to_won: float | None  # won / deals
    lead_to_won: float | None  # won deals from leads / leads
    cycle: Distribution


@dataclass(frozen=True, slots=True)
class Sources:
    filter: dict
    unit: str
    rows: list[SourceRow]
    total: SourceRow

    def as_dict(self) -> dict:
        return asdict(self)


def _won_stage_ids() -> list[int]:
    from voronka.crm.models import Stage

    return list(
        Stage.objects.filter(semantics=Stage.Semantics.WON, pipeline__kind="deal").values_list(
            "pk", flat=True
        )
    )


def sources(user: User | None, report: ReportFilter) -> Sources:
    """Return the conversion, revenue and cycle time per source for the period's first contacts."""
    from voronka.crm.models import Source

    leads_sql, leads_params = item_subquery(
        scoped_items(user, report, "lead"), "source_id", "created_at", "converted_at"
    )
    deals = scoped_items(user, report, "deal")
    if report.kind == "deal":
        deals = deals.filter(pipeline_id=report.pipeline.pk)
    deals_sql, deals_params = item_subquery(
        deals, "source_id", "created_at", "closed_at", "lead_id", "stage_id", "amount"
    )
    won_sql, won_params = in_list("d.stage_id", _won_stage_ids())
    start, end = timestamp(report.start), timestamp(report.end)
    origin = "COALESCE(l.created_at, d.created_at)"
    rows_sql = f"""
        SELECT l.source_id AS source_id, 1 AS leads,
               CASE WHEN l.converted_at IS NOT NULL THEN 1 ELSE 0 END AS converted,
               0 AS deals, 0 AS direct, 0 AS won, 0 AS won_from_lead, NULL AS revenue, NULL AS v
        FROM ({leads_sql}) l WHERE l.created_at >= %s AND l.created_at < %s
        UNION ALL
        SELECT COALESCE(l.source_id, d.source_id), 0, 0, 1,
               CASE WHEN d.lead_id IS NULL THEN 1 ELSE 0 END,
               CASE WHEN {won_sql} THEN 1 ELSE 0 END,
               CASE WHEN {won_sql} AND d.lead_id IS NOT NULL THEN 1 ELSE 0 END,
               CASE WHEN {won_sql} THEN d.amount END,
               CASE WHEN {won_sql} THEN {seconds_between(origin, "d.closed_at")} END
        FROM ({deals_sql}) d LEFT JOIN ({leads_sql}) l ON l.id = d.lead_id
        WHERE (d.lead_id IS NULL AND d.created_at >= %s AND d.created_at < %s)
           OR (l.created_at >= %s AND l.created_at < %s)
    """
    params = [
        *leads_params,
        start,
        end,
        *won_params * 4,
        *deals_params,
        *leads_params,
        start,
        end,
        start,
        end,
    ]
    totals_sql = f"""
        SELECT source_id, SUM(leads), SUM(converted), SUM(deals), SUM(direct), SUM(won), SUM(won_from_lead),
               SUM(revenue) FROM ({rows_sql}) r GROUP BY source_id
    """
    cycle_inner = f"SELECT source_id, v FROM ({rows_sql}) r"
    cycle_sql = percentile_sql(cycle_inner, ["source_id"], [["source_id"], []])
    totals = fetch(totals_sql, params)
    cycles = {row[0]: Distribution.from_row(row[1:]) for row in fetch(cycle_sql, params)}
    names = {s.pk: s for s in Source.objects.filter(pk__in=[r[0] for r in totals if r[0] is not None])}
    rows = [
        _row(values, names.get(values[0]), cycles.get(values[0], Distribution.empty())) for values in totals
    ]
    rows.sort(key=lambda r: (-r.revenue, -r.leads, r.title))
    grand = [
        None,
        *(sum(int(r[i] or 0) for r in totals) for i in range(1, 7)),
        sum(money(r[7]) for r in totals),
    ]
    total = _row(grand, None, cycles.get(-1, Distribution.empty()), title="total")
    return Sources(filter=report.as_dict(), unit="seconds", rows=rows, total=total)


def _row(values, source, cycle: Distribution, title: str = "") -> SourceRow:
    source_id, leads, converted, deals, direct, won, won_from_lead, revenue = values
    leads, converted, deals, direct, won, won_from_lead = (
        int(v or 0) for v in (leads, converted, deals, direct, won, won_from_lead)
    )
    return SourceRow(
        source_id=source_id,
        code=source.code if source else "",
        title=source.title if source else title,
        leads=leads,
        converted=converted,
        deals=deals,
        direct_deals=direct,
        won=won,
        revenue=money(revenue),
        lead_to_deal=rate(converted, leads),
        deal_to_won=rate(won, deals),
        lead_to_won=rate(won_from_lead, leads),
        cycle=cycle,
    )
