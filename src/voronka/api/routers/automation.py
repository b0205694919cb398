"""/api/v1/robots, /api/v1/triggers and /api/v1/automation — an adapter over voronka.automation.

Everybody may read robots and triggers (secrets are shown to administrators only); only
administrators change them (automation.services.settings refuses the others).
"""

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Query, Router, Schema

from voronka.accounts.rights import is_administrator
from voronka.api.routers.items import no_content, respond
from voronka.api.schemas.automation import (
    ImportIn,
    ImportOut,
    ReorderIn,
    RobotIn,
    RobotList,
    RobotOut,
    RobotPatch,
    RunList,
    SimulationOut,
    TriggerIn,
    TriggerList,
    TriggerOut,
    TriggerPatch,
    robot_dict,
    run_dict,
    simulation_dict,
    trigger_dict,
)
from voronka.api.schemas.common import Id
from voronka.automation import selectors
from voronka.automation.models import Robot, Trigger
from voronka.automation.services import settings as automation
from voronka.automation.services.simulate import simulate
from voronka.automation.services.transfer import export_pipeline, import_pipeline
from voronka.crm.selectors.items import get_visible
from voronka.crm.selectors.pipelines import get_pipeline

robots_router = Router(tags=["automation"])
triggers_router = Router(tags=["automation"])
automation_router = Router(tags=["automation"])


class ListFilter(Schema):
    pipeline_id: Id | None = None
    stage_id: Id | None = None


def _filtered(queryset, filters: ListFilter):
    if filters.pipeline_id:
        queryset = queryset.filter(stage__pipeline_id=filters.pipeline_id)
    if filters.stage_id:
        queryset = queryset.filter(stage_id=filters.stage_id)
    return queryset.select_related("stage").order_by("stage__pipeline_id", "stage__sort", "sort", "pk")


def _values(payload) -> dict:
    values = payload.model_dump(exclude_unset=True)
    values.pop("stage_id", None)
    return values


# --- robots -------------------------------------------------------------------------------------
@robots_router.get("", response=RobotList, summary="List robots")
def list_robots(request: HttpRequest, filters: Query[ListFilter]):
    admin = is_administrator(request.auth)
    return respond(
        {"items": [robot_dict(r, is_admin=admin) for r in _filtered(Robot.objects.all(), filters)]}
    )


@robots_router.post("", response={201: RobotOut}, summary="Add a robot to a stage")
def create_robot(request: HttpRequest, payload: RobotIn):
    robot = automation.create_robot(
        stage=selectors.get_stage(payload.stage_id), actor=request.auth, **_values(payload)
    )
    return respond(robot_dict(robot, is_admin=True), status=201)


@robots_router.post("/reorder", response=RobotList, summary="Put a stage's robots in order")
def reorder_robots(request: HttpRequest, payload: ReorderIn):
    ordered = automation.reorder_robots(
        selectors.get_stage(payload.stage_id), order=payload.order, actor=request.auth
    )
    return respond({"items": [robot_dict(r, is_admin=True) for r in ordered]})


@robots_router.get("/{robot_id}", response=RobotOut, summary="Get a robot")
def get_robot(request: HttpRequest, robot_id: Path[Id]):
    return respond(robot_dict(selectors.get_robot(robot_id), is_admin=is_administrator(request.auth)))


@robots_router.patch("/{robot_id}", response=RobotOut, summary="Change a robot")
def update_robot(request: HttpRequest, robot_id: Path[Id], payload: RobotPatch):
    robot = automation.update_robot(selectors.get_robot(robot_id), actor=request.auth, **_values(payload))
    return respond(robot_dict(robot, is_admin=True))


@robots_router.delete("/{robot_id}", response={204: None}, summary="Delete a robot (its log stays)")
def delete_robot(request: HttpRequest, robot_id: Path[Id]):
    automation.delete_robot(selectors.get_robot(robot_id), actor=request.auth)
    return no_content()


# --- triggers -----------------------------------------------------------------------------------
def _webhook_url(trigger, request) -> str | None:
    if trigger.kind != Trigger.Kind.WEBHOOK or not is_administrator(request.auth):
        return None
    return settings.PUBLIC_URL + reverse("automation:trigger_webhook", args=[trigger.token])


@triggers_router.get("", response=TriggerList, summary="List triggers")
def list_triggers(request: HttpRequest, filters: Query[ListFilter]):
    found = _filtered(Trigger.objects.all(), filters)
    return respond({"items": [trigger_dict(t, webhook_url=_webhook_url(t, request)) for t in found]})


@triggers_router.post("", response={201: TriggerOut}, summary="Add a trigger to a stage")
def create_trigger(request: HttpRequest, payload: TriggerIn):
    trigger = automation.create_trigger(
        stage=selectors.get_stage(payload.stage_id), actor=request.auth, **_values(payload)
    )
    return respond(trigger_dict(trigger, webhook_url=_webhook_url(trigger, request)), status=201)


@triggers_router.get("/{trigger_id}", response=TriggerOut, summary="Get a trigger")
def get_trigger(request: HttpRequest, trigger_id: Path[Id]):
    trigger = selectors.get_trigger(trigger_id)
    return respond(trigger_dict(trigger, webhook_url=_webhook_url(trigger, request)))


@triggers_router.patch("/{trigger_id}", response=TriggerOut, summary="Change a trigger")
def update_trigger(request: HttpRequest, trigger_id: Path[Id], payload: TriggerPatch):
    trigger = automation.update_trigger(
        selectors.get_trigger(trigger_id), actor=request.auth, **_values(payload)
    )
    return respond(trigger_dict(trigger, webhook_url=_webhook_url(trigger, request)))


@triggers_router.delete("/{trigger_id}", response={204: None}, summary="Delete a trigger")
def delete_trigger(request: HttpRequest, trigger_id: Path[Id]):
    automation.delete_trigger(selectors.get_trigger(trigger_id), actor=request.auth)
    return no_content()


# --- a pipeline's automation, an item's log -----------------------------------------------------
@automation_router.get(
    "/pipelines/{pipeline_id}/export", response=dict, summary="Export a pipeline's automation"
)
def export(request: HttpRequest, pipeline_id: Path[Id]):
    """The pipeline's robots and triggers by stage code (administrators only: it holds secrets)."""
    automation.require_admin(request.auth)
    return respond(export_pipeline(get_pipeline(pipeline_id)))


@automation_router.post(
    "/pipelines/{pipeline_id}/import", response=ImportOut, summary="Import a pipeline's automation"
)
def import_(request: HttpRequest, pipeline_id: Path[Id], payload: ImportIn):
    counts = import_pipeline(
        get_pipeline(pipeline_id), payload.document, actor=request.auth, replace=payload.replace
    )
    return respond(counts)


class ItemRef(Schema):
    kind: Literal["lead", "deal"]
    item_id: Id


@automation_router.get("/runs", response=RunList, summary="An item's robot runs, newest first")
def runs(request: HttpRequest, ref: Query[ItemRef]):
    item = get_visible(request.auth, ref.kind, ref.item_id)
    return respond({"items": [run_dict(run) for run in selectors.item_runs(ref.kind, item.pk, limit=200)]})


@automation_router.get("/simulate", response=SimulationOut, summary="What automation would do for an item")
def simulate_item(request: HttpRequest, ref: Query[ItemRef]):
    item = get_visible(request.auth, ref.kind, ref.item_id)
    return respond(simulation_dict(simulate(item)))
