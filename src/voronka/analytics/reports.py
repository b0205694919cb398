"""The report catalogue: one entry per report name, shared by the CLI, the JSON endpoints and the pages.

`run(name, user, params)` parses the common filters and the report's own options from raw
strings (query parameters, command-line options) and returns the report's dataclass;
bad input raises `Invalid`/`NotFound` with a code, never a 500.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, parse_filter
from voronka.lib.errors import Invalid, NotFound


@dataclass(frozen=True)
class Report:
    name: str
    title: object
    build: Callable[[User | None, ReportFilter, Mapping[str, object]], object]


def _flag(params: Mapping[str, object], name: str, default: bool) -> bool:
    value = params.get(name)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise Invalid("analytics.bad_flag", _("Say yes or no."), details={name: str(value)})


def _int(params: Mapping[str, object], name: str, default: int | None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(
            "analytics.bad_number", _("A whole number is needed."), details={name: str(value)}
        ) from None


def _decimal(params: Mapping[str, object], name: str) -> Decimal | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Invalid("analytics.bad_number", _("A number is needed."), details={name: str(value)}) from None
    if not number.is_finite():
        raise Invalid("analytics.bad_number", _("A number is needed."), details={name: str(value)})
    return number


def _funnel(user, report, params):
    from voronka.analytics.selectors.funnel import funnel

    return funnel(user, report, cohort=str(params.get("cohort") or "created"))


def _time_in_stage(user, report, params):
    from voronka.analytics.selectors.time_in_stage import time_in_stage

    return time_in_stage(user, report)


def _bottlenecks(user, report, params):
    from voronka.analytics.selectors.bottlenecks import bottlenecks

    return bottlenecks(user, report)


def _losses(user, report, params):
    from voronka.analytics.selectors.losses import losses

    return losses(user, report)


def _activities(user, report, params):
    from voronka.analytics.selectors.activities import activities

    return activities(user, report)


def _sources(user, report, params):
    from voronka.analytics.selectors.sources import sources

    return sources(user, report)


def _plan(user, report, params):
    from voronka.analytics.selectors.plan import plan

    return plan(
        user,
        report,
        target_amount=_decimal(params, "target_amount"),
        target_count=_int(params, "target_count", None),
        days=_int(params, "days", 30),
    )


def _forecast(user, report, params):
    from voronka.analytics.selectors.forecast import forecast

    return forecast(user, report, backtest=_flag(params, "backtest", True))


def _review(user, report, params):
    from voronka.analytics.selectors.review import review

    return review(user, report, all_pipelines=_flag(params, "all_pipelines", True))


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("funnel", _("Funnel"), _funnel),
        Report("time-in-stage", _("Time in stage"), _time_in_stage),
        Report("bottlenecks", _("Bottlenecks"), _bottlenecks),
        Report("losses", _("Losses"), _losses),
        Report("activities", _("Activities per result"), _activities),
        Report("sources", _("Sources"), _sources),
        Report("plan", pgettext_lazy("report", "Plan"), _plan),
        Report("forecast", _("Forecast"), _forecast),
        Report("review", _("Funnel review"), _review),
    )
}


def run(name: str, user: User | None, params: Mapping[str, object]):
    """Build report `name` for `user` from raw parameters."""
    report = REPORTS.get(name)
    if report is None:
        raise NotFound("analytics.unknown_report", _("There is no such report."), details={"report": name})
    return report.build(user, parse_filter(params), params)
