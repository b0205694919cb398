"""Settings: deal pipelines and their stages (add, rename, colour, meaning, drag to reorder, delete)."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.crm.models import Stage
from voronka.crm.selectors.boards import stage_item_counts
from voronka.crm.selectors.pipelines import get_pipeline, get_stage
from voronka.crm.selectors.pipelines import pipelines as all_pipelines
from voronka.crm.selectors.pipelines import stages as pipeline_stages
from voronka.crm.services import pipelines as pipeline_services
from voronka.lib.errors import DomainError
from voronka.web.middleware import toast_header
from voronka.web.views.settings import _attempt, _page, admin_only


@admin_only
def pipelines(request):
    """The pipelines, and a form to add one (its stages: one name per line)."""
    if request.method == "POST":
        names = [line.strip() for line in request.POST.get("stages", "").splitlines() if line.strip()]
        stages = [(name, Stage.Semantics.OPEN) for name in names] + [
            (_("Won"), Stage.Semantics.WON),
            (_("Lost"), Stage.Semantics.LOST),
        ]
        created = {}

        def create():
            created["pipeline"] = pipeline_services.create_pipeline(
                name=request.POST.get("name", ""), actor=request.user, stages=stages if names else None
            )

        if _attempt(request, create, _("Pipeline added.")):
            return redirect("web:settings-pipeline", created["pipeline"].pk)
        return redirect("web:settings-pipelines")
    rows = list(all_pipelines())
    return _page(request, "web/settings/pipelines.html", "pipelines", pipelines=rows)


@admin_only
def pipeline(request, pipeline_id: int):
    """One pipeline: rename, add a stage, and its stages (drag to reorder, edit, delete)."""
    current = get_pipeline(pipeline_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "rename":
            _attempt(
                request,
                lambda: pipeline_services.rename_pipeline(
                    current, name=request.POST.get("name", ""), actor=request.user
                ),
                _("Saved."),
            )
        elif action == "add_stage":
            _attempt(
                request,
                lambda: pipeline_services.add_stage(
                    current,
                    name=request.POST.get("name", ""),
                    semantics=request.POST.get("semantics", Stage.Semantics.OPEN),
                    color=request.POST.get("color", ""),
                    actor=request.user,
                ),
                _("Stage added."),
            )
        elif action == "delete" and _attempt(
            request, lambda: pipeline_services.delete_pipeline(current, actor=request.user), _("Deleted.")
        ):
            return redirect("web:settings-pipelines")
        return redirect("web:settings-pipeline", current.pk)
    stages = pipeline_stages(current)
    counts = stage_item_counts(current)
    rows = [{"stage": s, "count": counts.get(s.pk, 0)} for s in stages]
    return _page(
        request,
        "web/settings/pipeline.html",
        "pipelines",
        pipeline=current,
        rows=rows,
        semantics=Stage.Semantics.choices,
        pipelines=list(all_pipelines()),
    )


@admin_only
@require_POST
def reorder_stages(request, pipeline_id: int):
    """Save the order of stages after a drag (answers with a toast)."""
    current = get_pipeline(pipeline_id)
    order = [int(pk) for pk in request.POST.getlist("order") if pk.isdigit()]
    response = HttpResponse()
    try:
        pipeline_services.reorder_stages(current, order=order, actor=request.user)
    except DomainError as error:
        response["HX-Trigger"] = toast_header(error.message)
        return response
    response["HX-Trigger"] = toast_header(_("Order saved."), "success")
    return response


@admin_only
@require_POST
def stage(request, stage_id: int):
    """Rename a stage, change its colour or meaning."""
    current = get_stage(stage_id)
    semantics = request.POST.get("semantics") or None
    _attempt(
        request,
        lambda: pipeline_services.update_stage(
            current,
            actor=request.user,
            name=request.POST.get("name"),
            color=request.POST.get("color") or None,
            semantics=semantics,
        ),
        _("Saved."),
    )
    return redirect("web:settings-pipeline", current.pipeline_id)


@admin_only
@require_POST
def delete_stage(request, stage_id: int):
    """Delete a stage with no items (the refusal says how many must be moved first)."""
    current = get_stage(stage_id)
    _attempt(
        request, lambda: pipeline_services.delete_stage(current, actor=request.user), _("Stage deleted.")
    )
    return redirect("web:settings-pipeline", current.pipeline_id)
