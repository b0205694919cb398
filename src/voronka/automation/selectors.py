"""Reads of automation: a pipeline's stages with their robots and triggers, an item's run log."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.automation.models import Robot, RobotRun, Trigger, TriggerFiring
from voronka.crm.models import Pipeline, Stage
from voronka.lib.errors import NotFound


@dataclass(frozen=True)
class StageColumn:
    stage: Stage
    robots: list[Robot]
    triggers: list[Trigger]


def pipeline_columns(pipeline: Pipeline) -> list[StageColumn]:
    """Return the stages of a pipeline in order, each with its robots and triggers (three queries)."""
    stages = list(pipeline.stages.order_by("sort", "pk"))
    robots: dict[int, list[Robot]] = {stage.pk: [] for stage in stages}
    triggers: dict[int, list[Trigger]] = {stage.pk: [] for stage in stages}
    for robot in Robot.objects.filter(stage__pipeline=pipeline).order_by("sort", "pk"):
        robots[robot.stage_id].append(robot)
    for trigger in Trigger.objects.filter(stage__pipeline=pipeline).order_by("sort", "pk"):
        triggers[trigger.stage_id].append(trigger)
    return [StageColumn(stage, robots[stage.pk], triggers[stage.pk]) for stage in stages]


def pipeline_robots(pipeline: Pipeline) -> QuerySet[Robot]:
    return (
        Robot.objects.filter(stage__pipeline=pipeline)
        .select_related("stage")
        .order_by("stage__sort", "sort", "pk")
    )


def pipeline_triggers(pipeline: Pipeline) -> QuerySet[Trigger]:
    return (
        Trigger.objects.filter(stage__pipeline=pipeline)
        .select_related("stage")
        .order_by("stage__sort", "sort", "pk")
    )


def get_robot(robot_id: int) -> Robot:
    robot = Robot.objects.select_related("stage__pipeline").filter(pk=robot_id).first()
    if robot is None:
        raise NotFound("robot.not_found", _("There is no such robot."))
    return robot


def get_trigger(trigger_id: int) -> Trigger:
    trigger = Trigger.objects.select_related("stage__pipeline").filter(pk=trigger_id).first()
    if trigger is None:
        raise NotFound("trigger.not_found", _("There is no such trigger."))
    return trigger


def get_stage(stage_id: int) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise NotFound("stage.not_found", _("There is no such stage."))
    return stage


def item_runs(kind: str, item_id: int, *, limit: int = 50) -> list[RobotRun]:
    """Return an item's latest robot runs, newest first."""
    return list(
        RobotRun.objects.filter(item_kind=kind, item_id=item_id)
        .select_related("stage")
        .order_by("-pk")[:limit]
    )


def item_firings(kind: str, item_id: int, *, limit: int = 50) -> list[TriggerFiring]:
    """Return the latest trigger firings on an item, newest first."""
    return list(
        TriggerFiring.objects.filter(item_kind=kind, item_id=item_id)
        .select_related("from_stage", "to_stage")
        .order_by("-pk")[:limit]
    )
