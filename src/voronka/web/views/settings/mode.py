"""Settings: the working mode (classic or simple)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from voronka.crm.selectors.pipelines import deal_pipelines, get_pipeline
from voronka.crm.services import modes
from voronka.web.views.settings import _attempt, _page, admin_only


@admin_only
def mode(request):
    """Classic or simple mode; switching to simple says how many open leads it converts."""
    if request.method == "POST":
        target = request.POST.get("mode", "")
        result = {}

        pipeline_id = request.POST.get("pipeline")
        pipeline = get_pipeline(pipeline_id, kind="deal") if pipeline_id else None

        def switch():
            result["converted"] = modes.set_mode(target, actor=request.user, pipeline=pipeline)

        if _attempt(request, switch):
            messages.success(
                request,
                _("The working mode is switched. Leads converted: %(count)d.")
                % {"count": result["converted"]},
            )
        return redirect("web:settings-mode")
    return _page(
        request,
        "web/settings/mode.html",
        "mode",
        current=modes.current_mode(),
        deal_pipelines=list(deal_pipelines()),
        simple_pipeline_id=modes.crm_settings().simple_mode_pipeline_id,
        open_leads=modes.open_lead_count(),
        modes=modes.Mode.choices,
    )
