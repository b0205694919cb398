"""The analytics pages and JSON endpoints: parse the filters, run the report's selector, render.

An adapter only (ARCHITECTURE.md): every figure comes from voronka.analytics; a domain
refusal becomes a page with the message (400/404) or a JSON error body, never a 500.
"""

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from voronka.accounts.selectors import active_users, departments
from voronka.analytics.filters import parse_filter
from voronka.analytics.reports import REPORTS, run
from voronka.analytics.selectors.bottlenecks import bottlenecks
from voronka.analytics.selectors.forecast import forecast
from voronka.analytics.selectors.funnel import funnel
from voronka.analytics.selectors.losses import losses
from voronka.analytics.tables import TABLES
from voronka.crm.selectors.pipelines import pipelines, sources
from voronka.lib.errors import DomainError, Invalid, NotFound
from voronka.web_analytics.charts import CHARTS, forecast_chart, funnel_chart, loss_chart

PARAMS = (
    "pipeline",
    "date_from",
    "date_to",
    "responsible",
    "department",
    "source",
    "cohort",
    "target_amount",
    "target_count",
    "days",
    "backtest",
    "all_pipelines",
)


def _params(request) -> dict:
    return {key: request.GET.get(key, "") for key in PARAMS}


def _status(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Invalid):
        return 400
    return 409


def _choices() -> dict:
    return {
        "pipelines": pipelines(),
        "users": active_users(),
        "departments": departments(),
        "sources": sources(),
        "reports": REPORTS.values(),
    }


@login_required
@require_GET
def dashboard(request):
    """The funnel, the bottleneck findings, the losses and the forecast at a glance."""
    params = _params(request)
    context = {"params": params, **_choices(), "active": "dashboard", "filter": None}
    try:
        report = parse_filter(params)
        context.update(
            filter=report,
            funnel=(funnel_report := funnel(request.user, report)),
            bottlenecks=bottlenecks(request.user, report),
            losses=(loss_report := losses(request.user, report)),
            forecast=(forecast_report := forecast(request.user, report)),
            charts={
                "funnel": funnel_chart(funnel_report),
                "losses": loss_chart(loss_report),
                "forecast": forecast_chart(forecast_report),
            },
        )
    except DomainError as error:
        context["error"] = error
        return render(request, "web_analytics/dashboard.html", context, status=_status(error))
    return render(request, "web_analytics/dashboard.html", context)


@login_required
@require_GET
def report_page(request, name: str):
    """One report: its chart and its tables."""
    if name not in REPORTS:
        raise Http404
    params = _params(request)
    context = {"params": params, **_choices(), "active": name, "report": REPORTS[name], "filter": None}
    try:
        context["filter"] = parse_filter(params)
        result = run(name, request.user, params)
    except DomainError as error:
        context["error"] = error
        return render(request, "web_analytics/report.html", context, status=_status(error))
    chart = CHARTS.get(name)
    context.update(
        result=result,
        tables=TABLES[name](result),
        charts={"main": chart(result)} if chart else {},
        json_url=request.get_full_path().replace(f"/{name}/", f"/api/{name}.json", 1),
    )
    return render(request, "web_analytics/report.html", context)


@login_required
@require_GET
def report_json(request, name: str):
    """One report as JSON: the selector's dataclass, as is."""
    try:
        result = run(name, request.user, _params(request))
    except DomainError as error:
        body = {"error": {"code": error.code, "message": str(error.message), "details": error.details}}
        return JsonResponse(body, status=_status(error), encoder=DjangoJSONEncoder)
    return JsonResponse(
        result.as_dict(), encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )
