"""The reports as titled tables with typed columns, for every adapter that shows rows (CLI, CSV, web).

Values stay raw (numbers, seconds, Decimals); `display()` formats one for people. Labels are
translatable, so a table reads in the active language.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from voronka.analytics.sql import Distribution

TEXT, COUNT, PERCENT, MONEY, DURATION, NUMBER = "text", "count", "percent", "money", "duration", "number"


@dataclass(frozen=True, slots=True)
class Column:
    label: object
    kind: str = TEXT


@dataclass(slots=True)
class Table:
    title: object
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def display(value, kind: str) -> str:
    """Format a raw value for people."""
    if value is None:
        return "—"
    if kind == PERCENT:
        return f"{value:.1%}"
    if kind == MONEY:
        return number_format(Decimal(str(value)).quantize(Decimal("1")), 0, force_grouping=True)
    if kind == DURATION:
        return duration(float(value))
    if kind == NUMBER:
        return number_format(round(float(value), 1), 1, force_grouping=True)
    if kind == COUNT:
        return number_format(int(value), 0, force_grouping=True)
    return str(value)


def duration(seconds: float) -> str:
    if seconds < 3600:
        return _("%(value)s min") % {"value": round(seconds / 60)}
    if seconds < 48 * 3600:
        return _("%(value)s h") % {"value": number_format(round(seconds / 3600, 1), 1)}
    return _("%(value)s d") % {"value": number_format(round(seconds / 86400, 1), 1)}


def _spread(d: Distribution) -> list:
    return [d.n, d.median, d.p75, d.p90, d.mean]


SPREAD = [
    Column(gettext_lazy("observations"), COUNT),
    Column(gettext_lazy("median"), DURATION),
    Column(gettext_lazy("p75"), DURATION),
    Column(gettext_lazy("p90"), DURATION),
    Column(gettext_lazy("mean"), DURATION),
]


def funnel_tables(report) -> list[Table]:
    table = Table(
        _("Funnel: %(items)s items (%(cohort)s)")
        % {
            "items": report.items,
            "cohort": _("created in the period") if report.cohort == "created" else _("active in the period"),
        },
        [
            Column(_("stage")),
            Column(_("reached"), COUNT),
            Column(_("amount"), MONEY),
            Column(_("from previous"), PERCENT),
            Column(_("overall"), PERCENT),
            Column(_("dropped"), COUNT),
            Column(_("lost here"), COUNT),
            Column(_("still open here"), COUNT),
        ],
    )
    for s in report.stages:
        table.rows.append(
            [
                s.title,
                s.reached,
                s.amount,
                s.conversion_from_previous,
                s.conversion_overall,
                s.dropped,
                s.lost_here,
                s.open_here,
            ]
        )
    table.notes.append(
        _("Won: %(won)s (%(rate)s), amount %(amount)s; lost: %(lost)s.")
        % {
            "won": report.won,
            "rate": display(report.conversion, PERCENT),
            "amount": display(report.won_amount, MONEY),
            "lost": report.lost,
        }
    )
    return [table]


def time_in_stage_tables(report) -> list[Table]:
    stages = Table(_("Time in stage"), [Column(_("stage")), *SPREAD, Column(_("still in the stage"), COUNT)])
    for s in report.stages:
        stages.rows.append([s.title, *_spread(s.dwell), s.still_in_stage])
    cycle = Table(_("Cycle time from creation"), [Column(_("outcome")), *SPREAD])
    cycle.rows.append([_("won"), *_spread(report.cycle_won)])
    cycle.rows.append([_("lost"), *_spread(report.cycle_lost)])
    trend = Table(
        _("Median time in stage by month"),
        [Column(_("stage")), *[Column(month, DURATION) for month in report.months]],
    )
    for s in report.stages:
        trend.rows.append([s.title, *[m.median for m in s.months]])
    trend.rows.append([_("cycle to won"), *[m.median for m in report.cycle_won_months]])
    return [stages, cycle, trend]


def _findings_table(findings, title) -> Table:
    table = Table(title, [Column(_("finding")), Column(_("suggestion"))])
    for f in findings:
        table.rows.append([f.text, f.suggestion])
    return table


def bottleneck_tables(report) -> list[Table]:
    stages = Table(
        _("Stage conversion (decided items)"),
        [
            Column(_("step")),
            Column(_("passed"), COUNT),
            Column(_("lost"), COUNT),
            Column(_("conversion"), PERCENT),
            Column(_("95% CI from"), PERCENT),
            Column(_("95% CI to"), PERCENT),
            Column(_("previous year"), PERCENT),
            Column(_("bottleneck")),
        ],
    )
    for s in report.stages:
        stages.rows.append(
            [
                f"{s.title} → {s.next_title}",
                s.current.passed,
                s.current.failed,
                s.current.rate,
                s.current.interval.low,
                s.current.interval.high,
                s.past.rate,
                "●" if s.is_bottleneck else "",
            ]
        )
    titles = {s.stage_id: f"{s.title} → {s.next_title}" for s in report.stages}
    managers = Table(
        _("Per manager"),
        [
            Column(_("step")),
            Column(_("manager")),
            Column(_("passed"), COUNT),
            Column(_("lost"), COUNT),
            Column(_("conversion"), PERCENT),
            Column(_("95% CI from"), PERCENT),
            Column(_("95% CI to"), PERCENT),
            Column(_("team"), PERCENT),
            Column(_("below the team")),
        ],
    )
    for m in report.managers:
        managers.rows.append(
            [
                titles[m.stage_id],
                m.manager,
                m.conversion.passed,
                m.conversion.failed,
                m.conversion.rate,
                m.conversion.interval.low,
                m.conversion.interval.high,
                m.team_rate,
                "●" if m.below_team else "",
            ]
        )
    return [_findings_table(report.findings, _("Findings")), stages, managers]


def loss_tables(report) -> list[Table]:
    reasons = Table(
        _("Loss reasons: %(total)s losses") % {"total": report.total},
        [
            Column(_("reason")),
            Column(_("losses"), COUNT),
            Column(_("share"), PERCENT),
            Column(_("amount"), MONEY),
        ],
    )
    for r in report.reasons:
        reasons.rows.append([r.title, r.losses, r.share, r.amount])
    tables = [_findings_table(report.findings, _("Findings")), reasons]
    for title, rows in (
        (_("By the stage where it was lost"), report.by_stage),
        (_("By manager"), report.by_manager),
        (_("By source"), report.by_source),
        (_("By month"), report.by_month),
    ):
        table = Table(
            title, [Column(""), Column(_("losses"), COUNT), *[Column(r.title, COUNT) for r in report.reasons]]
        )
        for row in rows:
            table.rows.append(
                [row.label, row.losses, *[row.by_reason.get(r.stage_id, 0) for r in report.reasons]]
            )
        tables.append(table)
    return tables


def source_tables(report) -> list[Table]:
    table = Table(
        _("Sources"),
        [
            Column(_("source")),
            Column(_("leads"), COUNT),
            Column(pgettext("report column", "converted"), COUNT),
            Column(_("deals"), COUNT),
            Column(_("of them without a lead"), COUNT),
            Column(_("won"), COUNT),
            Column(_("revenue"), MONEY),
            Column(_("lead → deal"), PERCENT),
            Column(_("deal → won"), PERCENT),
            Column(_("lead → won"), PERCENT),
            Column(_("median cycle"), DURATION),
        ],
    )
    for r in [*report.rows, report.total]:
        title = r.title if r.source_id or r is report.total else _("no source")
        if r is report.total:
            title = pgettext("report row", "total")
        table.rows.append(
            [
                title,
                r.leads,
                r.converted,
                r.deals,
                r.direct_deals,
                r.won,
                r.revenue,
                r.lead_to_deal,
                r.deal_to_won,
                r.lead_to_won,
                r.cycle.median,
            ]
        )
    return [table]


def plan_tables(report) -> list[Table]:
    table = Table(
        _("What the target takes in %(days)s days: %(won)s won")
        % {"days": report.days, "won": report.won_needed},
        [
            Column(_("what")),
            Column(_("historical rate"), NUMBER),
            Column(_("needed"), COUNT),
            Column(_("last %(days)s days") % {"days": report.days}, COUNT),
            Column(_("must grow by"), PERCENT),
        ],
    )
    for r in report.rows:
        table.rows.append([r.label, r.historical_rate, r.needed, r.run_rate, r.growth])
    table.notes.append(
        _("Average won amount %(amount)s; chance to win from the first stage %(rate)s.")
        % {"amount": display(report.average_won_amount, MONEY), "rate": display(report.win_rate, PERCENT)}
    )
    if not report.activities_available:
        table.notes.append(_("Calls and meetings: activities are not available."))
    return [table]


def forecast_tables(report) -> list[Table]:
    horizons = list(report.expected)
    expected = Table(
        _(
            "Expected won in the next days with a 95%% interval (open pipeline %(amount)s, weighted %(weighted)s)"
        )
        % {"amount": display(report.open_amount, MONEY), "weighted": display(report.weighted_amount, MONEY)},
        [
            Column(_("days")),
            Column(_("deals"), NUMBER),
            Column(_("amount"), MONEY),
            Column(_("interval from"), MONEY),
            Column(_("interval to"), MONEY),
        ],
    )
    for h in horizons:
        e = report.expected[h]
        expected.rows.append([h, e.count, e.amount, e.amount_interval.low, e.amount_interval.high])
    stages = Table(
        _("Open pipeline by stage"),
        [
            Column(_("stage")),
            Column(pgettext("report column", "open"), COUNT),
            Column(_("amount"), MONEY),
            Column(_("weighted"), MONEY),
            *[Column(_("in %(days)s days") % {"days": h}, MONEY) for h in horizons],
        ],
    )
    for s in report.stages:
        stages.rows.append(
            [
                s.title,
                s.open_items,
                s.open_amount,
                s.weighted_amount,
                *[s.expected[h].amount for h in horizons],
            ]
        )
    titles = {s.stage_id: s.title for s in report.stages}
    chances = Table(
        _("Chance to win by stage and age (days in the stage)"),
        [
            Column(_("stage")),
            Column(_("age from, days"), COUNT),
            Column(_("entries"), COUNT),
            Column(_("eventually"), PERCENT),
            *[Column(_("within %(days)s days") % {"days": h}, PERCENT) for h in horizons],
        ],
    )
    for p in report.probabilities:
        chances.rows.append(
            [
                titles.get(p.stage_id, p.stage_id),
                p.bucket,
                p.entries,
                p.eventual,
                *[p.within[h] for h in horizons],
            ]
        )
    backtest = Table(
        _("Backtest: forecasts made in the past against what was won"),
        [
            Column(_("forecast date")),
            Column(_("days"), COUNT),
            Column(_("expected"), MONEY),
            Column(_("interval from"), MONEY),
            Column(_("interval to"), MONEY),
            Column(_("actual"), MONEY),
            Column(_("error"), MONEY),
            Column(_("error, %"), PERCENT),
        ],
    )
    for b in report.backtests:
        backtest.rows.append(
            [
                b.as_of[:10],
                b.horizon,
                b.expected.amount,
                b.expected.amount_interval.low,
                b.expected.amount_interval.high,
                b.actual_amount,
                b.error,
                b.relative_error,
            ]
        )
    for s in report.backtest_summary:
        backtest.notes.append(
            _(
                "%(days)s days: %(count)s forecasts, mean absolute error %(mae)s (%(wape)s of the actual), "
                "bias %(bias)s, %(coverage)s inside the interval."
            )
            % {
                "days": s.horizon,
                "count": s.forecasts,
                "mae": display(s.mean_absolute_error, MONEY),
                "wape": display(s.weighted_absolute_percentage_error, PERCENT),
                "bias": display(s.bias, MONEY),
                "coverage": display(s.coverage, PERCENT),
            }
        )
    return [expected, stages, chances, backtest]


def review_tables(report) -> list[Table]:
    tables = []
    for p in report.pipelines:
        table = Table(
            _("Funnel review: %(pipeline)s") % {"pipeline": p.pipeline},
            [Column(_("rule"), COUNT), Column(_("finding")), Column(_("suggestion"))],
        )
        for f in p.findings:
            table.rows.append([f.rule, f.text, f.suggestion])
        if not p.findings:
            table.notes.append(_("The pipeline follows the rules."))
        tables.append(table)
    return tables


def activity_tables(report) -> list[Table]:
    from voronka.analytics.selectors.activities import activity_tables as build

    return build(report)


TABLES: dict[str, Callable] = {
    "funnel": funnel_tables,
    "time-in-stage": time_in_stage_tables,
    "bottlenecks": bottleneck_tables,
    "losses": loss_tables,
    "activities": activity_tables,
    "sources": source_tables,
    "plan": plan_tables,
    "forecast": forecast_tables,
    "review": review_tables,
}
