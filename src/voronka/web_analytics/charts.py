"""Chart.js configurations for the reports (plain data: the page's script draws them)."""

from django.utils.translation import gettext as _

BLUE, GREEN, RED, GREY = "#2d6cdf", "#7bd500", "#ff5752", "#9aa8b5"
PALETTE = ["#ff5752", "#ffa900", "#2fc6f6", "#7bd500", "#9b59b6", "#55d0e0", "#f7a9a9", "#1f3b57"]


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600, 1)


def funnel_chart(report) -> dict:
    """Bars centred on the axis, as wide as the items that reached each stage: a funnel."""
    return {
        "kind": "funnel",
        "type": "bar",
        "data": {
            "labels": [s.title for s in report.stages],
            "datasets": [
                {
                    "label": _("reached"),
                    "data": [[-s.reached / 2, s.reached / 2] for s in report.stages],
                    "counts": [s.reached for s in report.stages],
                    "backgroundColor": [s.color for s in report.stages],
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "plugins": {"legend": {"display": False}},
            "scales": {"x": {"display": False}},
        },
    }


def time_in_stage_chart(report) -> dict:
    return {
        "type": "bar",
        "data": {
            "labels": [s.title for s in report.stages],
            "datasets": [
                {
                    "label": _("median, h"),
                    "data": [_hours(s.dwell.median) for s in report.stages],
                    "backgroundColor": BLUE,
                },
                {
                    "label": _("p75, h"),
                    "data": [_hours(s.dwell.p75) for s in report.stages],
                    "backgroundColor": GREY,
                },
                {
                    "label": _("p90, h"),
                    "data": [_hours(s.dwell.p90) for s in report.stages],
                    "backgroundColor": RED,
                },
            ],
        },
        "options": {},
    }


def loss_chart(report) -> dict:
    return {
        "type": "doughnut",
        "data": {
            "labels": [r.title for r in report.reasons],
            "datasets": [{"data": [r.losses for r in report.reasons], "backgroundColor": PALETTE}],
        },
        "options": {"aspectRatio": 2, "plugins": {"legend": {"position": "right"}}},
    }


def bottleneck_chart(report) -> dict:
    return {
        "type": "bar",
        "data": {
            "labels": [f"{s.title} → {s.next_title}" for s in report.stages],
            "datasets": [
                {
                    "label": _("conversion, %"),
                    "data": [
                        None if s.current.rate is None else round(s.current.rate * 100, 1)
                        for s in report.stages
                    ],
                    "backgroundColor": [RED if s.is_bottleneck else BLUE for s in report.stages],
                },
                {
                    "label": _("previous year, %"),
                    "data": [
                        None if s.past.rate is None else round(s.past.rate * 100, 1) for s in report.stages
                    ],
                    "backgroundColor": GREY,
                },
            ],
        },
        "options": {"scales": {"y": {"min": 0, "max": 100}}},
    }


def source_chart(report) -> dict:
    return {
        "type": "bar",
        "data": {
            "labels": [r.title or _("no source") for r in report.rows],
            "datasets": [
                {
                    "label": _("revenue"),
                    "data": [float(r.revenue) for r in report.rows],
                    "backgroundColor": GREEN,
                }
            ],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
    }


def forecast_chart(report) -> dict:
    """The 95% interval as a floating bar, the expected amount as a point on it."""
    horizons = list(report.expected)
    return {
        "type": "bar",
        "data": {
            "labels": [_("%(days)s days") % {"days": h} for h in horizons],
            "datasets": [
                {
                    "type": "line",
                    "label": _("expected"),
                    "data": [round(report.expected[h].amount) for h in horizons],
                    "showLine": False,
                    "pointRadius": 7,
                    "backgroundColor": BLUE,
                    "borderColor": BLUE,
                },
                {
                    "label": _("likely range"),
                    "data": [
                        [
                            round(report.expected[h].amount_interval.low),
                            round(report.expected[h].amount_interval.high),
                        ]
                        for h in horizons
                    ],
                    "backgroundColor": "#c9d3dd",
                },
            ],
        },
        "options": {"scales": {"y": {"beginAtZero": True}}},
    }


def plan_chart(report) -> dict:
    rows = [r for r in report.rows if r.needed is not None]
    return {
        "type": "bar",
        "data": {
            "labels": [r.label for r in rows],
            "datasets": [
                {"label": _("needed"), "data": [r.needed for r in rows], "backgroundColor": BLUE},
                {"label": _("run rate"), "data": [r.run_rate for r in rows], "backgroundColor": GREY},
            ],
        },
        "options": {"indexAxis": "y"},
    }


CHARTS = {
    "funnel": funnel_chart,
    "time-in-stage": time_in_stage_chart,
    "bottlenecks": bottleneck_chart,
    "losses": loss_chart,
    "sources": source_chart,
    "plan": plan_chart,
    "forecast": forecast_chart,
}
