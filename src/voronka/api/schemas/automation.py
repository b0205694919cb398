"""Robots, triggers, their run log, and a pipeline's automation export."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from voronka.api.schemas.common import Id, Input, ShortText, iso

Timing = Literal["at_once", "delay", "date_field"]
Unit = Literal["minutes", "hours", "days"]


class Condition(Schema):
    join: Literal["and", "or"] = "and"
    rules: list[dict[str, Any]] = Field(default_factory=list, description='[{"field", "op", "value"}]')


class RobotOut(Schema):
    id: int
    stage_id: int
    stage_code: str
    kind: str
    name: str
    params: dict[str, Any]
    sort: int
    timing: Timing
    delay: int
    delay_unit: Unit
    in_working_hours: bool
    date_field: str
    condition: dict[str, Any]
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class RobotList(Schema):
    items: list[RobotOut]


class RobotIn(Input):
    stage_id: Id
    kind: ShortText
    name: ShortText = ""
    params: dict[str, Any] = Field(
        default_factory=dict, description="Settings of the kind (docs/automation.md)."
    )
    sort: int | None = Field(None, ge=0, le=1_000_000)
    timing: Timing = "at_once"
    delay: int = Field(0, ge=-5_256_000, le=5_256_000)
    delay_unit: Unit = "minutes"
    in_working_hours: bool = False
    date_field: ShortText = ""
    condition: Condition | None = None
    is_active: bool = True


class RobotPatch(Input):
    kind: ShortText | None = None
    name: ShortText | None = None
    params: dict[str, Any] | None = None
    sort: int | None = Field(None, ge=0, le=1_000_000)
    timing: Timing | None = None
    delay: int | None = Field(None, ge=-5_256_000, le=5_256_000)
    delay_unit: Unit | None = None
    in_working_hours: bool | None = None
    date_field: ShortText | None = None
    condition: Condition | None = None
    is_active: bool | None = None


class ReorderIn(Input):
    stage_id: Id
    order: list[Id] = Field(max_length=1000)


TriggerKind = Literal[
    "email_opened",
    "link_clicked",
    "form_submitted",
    "call_received",
    "mail_received",
    "chat_received",
    "activity_completed",
    "field_condition",
    "webhook",
]


class TriggerOut(Schema):
    id: int
    stage_id: int
    stage_code: str
    kind: str
    name: str
    params: dict[str, Any]
    condition: dict[str, Any]
    allow_backward: bool
    sort: int
    is_active: bool
    webhook_url: str | None = Field(
        description="For inbound-webhook triggers (administrators only): POST here."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class TriggerList(Schema):
    items: list[TriggerOut]


class TriggerIn(Input):
    stage_id: Id
    kind: TriggerKind
    name: ShortText = ""
    params: dict[str, Any] = Field(default_factory=dict)
    condition: Condition | None = None
    allow_backward: bool = False
    sort: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool = True


class TriggerPatch(Input):
    kind: TriggerKind | None = None
    name: ShortText | None = None
    params: dict[str, Any] | None = None
    condition: Condition | None = None
    allow_backward: bool | None = None
    sort: int | None = Field(None, ge=0, le=1_000_000)
    is_active: bool | None = None


class RunOut(Schema):
    id: int
    robot_id: int | None
    robot_name: str
    stage_id: int | None
    entry_id: int
    status: Literal["pending", "running", "done", "failed", "cancelled", "skipped"]
    scheduled_for: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: str
    error: str


class RunList(Schema):
    items: list[RunOut]


class ImportIn(Input):
    document: dict[str, Any]
    replace: bool = True


class ImportOut(Schema):
    robots: int
    triggers: int


class SimulatedRobot(Schema):
    robot_id: int
    name: str
    due_at: dt.datetime
    would_run: bool
    explanation: str


class SimulatedTrigger(Schema):
    trigger_id: int
    name: str
    stage_code: str
    direction: Literal["forward", "backward", "current"]
    is_eligible: bool
    condition_holds: bool
    explanation: str


class SimulationOut(Schema):
    stage_code: str
    robots: list[SimulatedRobot]
    triggers: list[SimulatedTrigger]


SECRET_PARAMS = ("secret",)


def robot_dict(robot, *, is_admin: bool) -> dict[str, Any]:
    params = dict(robot.params)
    if not is_admin:
        for name in SECRET_PARAMS:
            params.pop(name, None)
    return {
        "id": robot.pk,
        "stage_id": robot.stage_id,
        "stage_code": robot.stage.code,
        "kind": robot.kind,
        "name": robot.name,
        "params": params,
        "sort": robot.sort,
        "timing": robot.timing,
        "delay": robot.delay,
        "delay_unit": robot.delay_unit,
        "in_working_hours": robot.in_working_hours,
        "date_field": robot.date_field,
        "condition": robot.condition,
        "is_active": robot.is_active,
        "created_at": iso(robot.created_at),
        "updated_at": iso(robot.updated_at),
    }


def trigger_dict(trigger, *, webhook_url: str | None) -> dict[str, Any]:
    return {
        "id": trigger.pk,
        "stage_id": trigger.stage_id,
        "stage_code": trigger.stage.code,
        "kind": trigger.kind,
        "name": trigger.name,
        "params": trigger.params,
        "condition": trigger.condition,
        "allow_backward": trigger.allow_backward,
        "sort": trigger.sort,
        "is_active": trigger.is_active,
        "webhook_url": webhook_url,
        "created_at": iso(trigger.created_at),
        "updated_at": iso(trigger.updated_at),
    }


def run_dict(run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "robot_id": run.robot_id,
        "robot_name": run.robot_name,
        "stage_id": run.stage_id,
        "entry_id": run.entry_id,
        "status": run.status,
        "scheduled_for": iso(run.scheduled_for),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "result": run.result,
        "error": run.error,
    }


def simulation_dict(simulation) -> dict[str, Any]:
    return {
        "stage_code": simulation.stage.code,
        "robots": [
            {
                "robot_id": row.robot.pk,
                "name": row.robot.title,
                "due_at": iso(row.due_at),
                "would_run": row.would_run,
                "explanation": row.outcome.explain(),
            }
            for row in simulation.robots
        ],
        "triggers": [
            {
                "trigger_id": row.trigger.pk,
                "name": row.trigger.title,
                "stage_code": row.trigger.stage.code,
                "direction": row.direction,
                "is_eligible": row.is_eligible,
                "condition_holds": row.outcome.holds,
                "explanation": row.outcome.explain(),
            }
            for row in simulation.triggers
        ],
    }
