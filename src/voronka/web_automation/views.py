"""Automation pages: a pipeline's stages side by side with their robots and triggers; the editors;
an item's run log and simulation. An adapter: forms collect, automation services validate and write.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from voronka.accounts.rights import is_administrator
from voronka.automation import selectors
from voronka.automation.services import settings as automation
from voronka.automation.services.simulate import simulate
from voronka.crm.selectors.items import get_visible
from voronka.crm.selectors.pipelines import get_pipeline, pipelines
from voronka.lib.errors import DomainError, NotFound
from voronka.web_automation.forms import RobotForm, TriggerForm, robot_initial, trigger_initial

KINDS = ("lead", "deal")


def _admin_only(view):
    def wrapped(request, *args, **kwargs):
        if not is_administrator(request.user):
            return HttpResponseForbidden()
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error.message)) from None

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_admin_only
def index(request):
    """Open the automation of the lead statuses (or the first deal pipeline)."""
    first = pipelines().filter(kind="lead").first() or pipelines().first()
    if first is None:
        raise Http404
    return redirect("web_automation:board", pipeline_id=first.pk)


def _board_context(pipeline) -> dict:
    return {
        "pipeline": pipeline,
        "pipelines": sorted(pipelines(), key=lambda p: (p.kind != "lead", p.sort, p.pk)),
        "columns": selectors.pipeline_columns(pipeline),
    }


def _board_response(request, pipeline) -> HttpResponse:
    response = render(
        request, "web_automation/board.html#board", {**_board_context(pipeline), "clear_editor": True}
    )
    return reswap(retarget(response, "#automation-board"), "outerHTML")


@_admin_only
def board(request, pipeline_id: int):
    """The pipeline's stages side by side, each with its triggers and robots."""
    pipeline = get_pipeline(pipeline_id)
    return render(request, "web_automation/board.html", _board_context(pipeline))


def _editor(request, *, form_class, initial_of, service_create, service_update, template, stage, obj):
    kind = (
        request.POST.get("kind")
        or request.GET.get("kind")
        or (obj.kind if obj else form_class.base_fields["kind"].choices[0][0])
    )
    if request.method == "POST" and request.POST.get("refresh") != "1":
        form = form_class(request.POST, stage=stage, kind=kind)
        if form.is_valid():
            try:
                if obj is None:
                    service_create(stage=stage, actor=request.user, **form.service_values())
                else:
                    service_update(obj, actor=request.user, **form.service_values())
            except DomainError as error:
                _add_errors(form, error)
            else:
                return _board_response(request, stage.pipeline)
    elif request.method == "POST":
        form = form_class(initial={**request.POST.dict(), "kind": kind}, stage=stage, kind=kind)
    else:
        form = form_class(initial=initial_of(obj) if obj else {"kind": kind}, stage=stage, kind=kind)
    context = {"form": form, "stage": stage, "obj": obj, "action": request.path, "kind": kind}
    response = render(request, template, context)
    return reswap(retarget(response, "#automation-editor"), "innerHTML")


def _add_errors(form, error: DomainError) -> None:
    placed = False
    for key in error.details or {}:
        for name in (f"p_{key}", key, "condition" if key.startswith("rules.") else None):
            if name and name in form.fields:
                form.add_error(name, str(error.message))
                placed = True
                break
    if not placed:
        form.add_error(None, str(error.message))


@_admin_only
def robot_editor(request, stage_id: int | None = None, robot_id: int | None = None):
    """The robot editor (new or existing), swapped into the page; saving re-renders the board."""
    robot = selectors.get_robot(robot_id) if robot_id else None
    stage = robot.stage if robot else selectors.get_stage(stage_id)
    return _editor(
        request,
        form_class=RobotForm,
        initial_of=robot_initial,
        service_create=automation.create_robot,
        service_update=automation.update_robot,
        template="web_automation/robot_form.html",
        stage=stage,
        obj=robot,
    )


@_admin_only
def trigger_editor(request, stage_id: int | None = None, trigger_id: int | None = None):
    """The trigger editor (new or existing), swapped into the page; saving re-renders the board."""
    trigger = selectors.get_trigger(trigger_id) if trigger_id else None
    stage = trigger.stage if trigger else selectors.get_stage(stage_id)
    return _editor(
        request,
        form_class=TriggerForm,
        initial_of=trigger_initial,
        service_create=automation.create_trigger,
        service_update=automation.update_trigger,
        template="web_automation/trigger_form.html",
        stage=stage,
        obj=trigger,
    )


@_admin_only
@require_POST
def robot_delete(request, robot_id: int):
    robot = selectors.get_robot(robot_id)
    pipeline = robot.stage.pipeline
    automation.delete_robot(robot, actor=request.user)
    return _board_response(request, pipeline)


@_admin_only
@require_POST
def robot_move(request, robot_id: int, direction: str):
    """Move a robot one place up or down among its stage's robots."""
    robot = selectors.get_robot(robot_id)
    order = list(robot.stage.robots.order_by("sort", "pk").values_list("pk", flat=True))
    index = order.index(robot.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        automation.reorder_robots(robot.stage, order=order, actor=request.user)
    return _board_response(request, robot.stage.pipeline)


@_admin_only
@require_POST
def trigger_delete(request, trigger_id: int):
    trigger = selectors.get_trigger(trigger_id)
    pipeline = trigger.stage.pipeline
    automation.delete_trigger(trigger, actor=request.user)
    return _board_response(request, pipeline)


def _item(request, kind: str, item_id: int):
    if kind not in KINDS:
        raise Http404
    try:
        return get_visible(request.user, kind, item_id)
    except NotFound as error:
        raise Http404(str(error.message)) from None


@login_required
def item_log(request, kind: str, item_id: int):
    """The item card's automation block: the robot runs and trigger moves, and the Simulate button."""
    item = _item(request, kind, item_id)
    context = {
        "item": item,
        "kind": kind,
        "runs": selectors.item_runs(kind, item.pk),
        "firings": selectors.item_firings(kind, item.pk),
        "settings_url": reverse("web_automation:index") if is_administrator(request.user) else "",
    }
    return render(request, "web_automation/item.html", context)


@login_required
def item_simulate(request, kind: str, item_id: int):
    """What automation would do for the item in its current stage, with the conditions evaluated."""
    item = _item(request, kind, item_id)
    return render(request, "web_automation/simulate.html", {"item": item, "simulation": simulate(item)})
