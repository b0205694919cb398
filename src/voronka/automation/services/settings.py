"""Robots and triggers of a pipeline's stages: creating, changing, ordering, deleting.

Rules enforced here:
- only administrators change automation;
- a robot's kind exists and fits the pipeline (lead conversion only on lead statuses); its
  settings are validated by its kind (automation.robots); its timing is at once, a delay of
  0..3650 days in minutes, hours or days (optionally counted in working hours), or a shift of
  up to 3650 days before or after one of the item's date fields;
- conditions name known fields and operators (automation.conditions);
- a trigger's kind exists; a form trigger names an existing form; the inbound-webhook token is
  secret, made here and changed only by `new_trigger_token()`.
"""

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.automation import robots
from voronka.automation.conditions import clean_condition
from voronka.automation.models import Robot, Trigger, new_trigger_token
from voronka.crm.models import Deal, Lead, Stage
from voronka.lib.errors import Forbidden, Invalid

MAX_DELAY_MINUTES = 3650 * 24 * 60
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
ROBOT_FIELDS = (
    "kind",
    "name",
    "params",
    "sort",
    "timing",
    "delay",
    "delay_unit",
    "in_working_hours",
    "date_field",
    "condition",
    "is_active",
)
TRIGGER_FIELDS = ("kind", "name", "params", "condition", "allow_backward", "sort", "is_active")


def require_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("automation.admin_only", _("Only administrators change automation."))


def model_of(stage: Stage) -> type[models.Model]:
    return Lead if stage.pipeline.kind == "lead" else Deal


def date_fields(stage: Stage) -> list[str]:
    """Return the date fields a robot on `stage` may be timed by (custom date fields included)."""
    from voronka.crm.models import CustomField

    model = model_of(stage)
    names = [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, (models.DateField, models.DateTimeField))
        and f.name not in ("closed_at", "converted_at")
    ]
    custom = CustomField.objects.filter(entity=stage.pipeline.kind, type__in=("date", "datetime"))
    return names + [f"custom.{code}" for code in custom.values_list("code", flat=True)]


def clean_robot(values: dict[str, Any], *, stage: Stage) -> dict[str, Any]:
    """Validate a robot's settings for `stage`; return them cleaned."""
    kind_code = str(values.get("kind") or "")
    kind = robots.get(kind_code)
    if stage.pipeline.kind not in kind.kinds:
        raise Invalid(
            "robot.wrong_pipeline", _("This robot works only on lead statuses."), details={"kind": kind_code}
        )
    params = values.get("params") or {}
    if not isinstance(params, dict):
        raise Invalid(
            "robot.invalid", _("Robot settings are an object."), details={"params": str(params)[:100]}
        )
    cleaned: dict[str, Any] = {
        "kind": kind_code,
        "name": str(values.get("name") or "").strip()[:200],
        "params": kind.clean(params, stage),
        "is_active": bool(values.get("is_active", True)),
        "condition": clean_condition(values.get("condition"), model=model_of(stage)),
    }
    if "sort" in values and values["sort"] not in (None, ""):
        cleaned["sort"] = _int(values["sort"], "sort", 0, 1_000_000)
    cleaned.update(_clean_timing(values, stage))
    return cleaned


def _int(raw: Any, name: str, minimum: int, maximum: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid("robot.invalid", _("Enter a whole number."), details={name: str(raw)}) from None
    if not minimum <= value <= maximum:
        raise Invalid(
            "robot.invalid",
            _("Enter a number from %(min)d to %(max)d.") % {"min": minimum, "max": maximum},
            details={name: str(raw)},
        )
    return value


def _clean_timing(values: dict[str, Any], stage: Stage) -> dict[str, Any]:
    timing = str(values.get("timing") or Robot.Timing.AT_ONCE)
    if timing not in Robot.Timing.values:
        raise Invalid("robot.invalid", _("Choose when the robot runs."), details={"timing": timing})
    unit = str(values.get("delay_unit") or Robot.Unit.MINUTES)
    if unit not in Robot.Unit.values:
        raise Invalid("robot.invalid", _("Choose minutes, hours or days."), details={"delay_unit": unit})
    limit = MAX_DELAY_MINUTES // UNIT_MINUTES[unit]
    delay = 0
    date_field = ""
    if timing == Robot.Timing.DELAY:
        delay = _int(values.get("delay", 0), "delay", 0, limit)
    elif timing == Robot.Timing.DATE_FIELD:
        delay = _int(values.get("delay", 0), "delay", -limit, limit)
        date_field = str(values.get("date_field") or "")
        if date_field not in date_fields(stage):
            raise Invalid("robot.invalid", _("Choose a date field."), details={"date_field": date_field})
    return {
        "timing": timing,
        "delay": delay,
        "delay_unit": unit,
        "in_working_hours": bool(values.get("in_working_hours", False)),
        "date_field": date_field,
    }


def _next_sort(queryset) -> int:
    last = queryset.order_by("-sort").values_list("sort", flat=True).first()
    return (last or 0) + 10


@transaction.atomic
def create_robot(*, stage: Stage, actor: User, **values: Any) -> Robot:
    """Add a robot to a stage (at the end of its robots unless `sort` is given)."""
    require_admin(actor)
    cleaned = clean_robot(values, stage=stage)
    cleaned.setdefault("sort", _next_sort(stage.robots.all()))
    return Robot.objects.create(stage=stage, **cleaned)


@transaction.atomic
def update_robot(robot: Robot, *, actor: User, **values: Any) -> Robot:
    """Change a robot's settings (what is not given stays)."""
    require_admin(actor)
    robot = Robot.objects.select_for_update().select_related("stage__pipeline").get(pk=robot.pk)
    unknown = set(values) - set(ROBOT_FIELDS)
    if unknown:
        raise Invalid(
            "robot.unknown_field", _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    current = {name: getattr(robot, name) for name in ROBOT_FIELDS}
    if "kind" in values and values["kind"] != robot.kind and "params" not in values:
        current["params"] = {}
    cleaned = clean_robot({**current, **values}, stage=robot.stage)
    for name, value in cleaned.items():
        setattr(robot, name, value)
    robot.updated_at = timezone.now()
    robot.save()
    return robot


@transaction.atomic
def delete_robot(robot: Robot, *, actor: User) -> None:
    """Delete a robot; its waiting runs are cancelled, the log of past runs stays."""
    require_admin(actor)
    robot.runs.filter(status="pending").update(
        status="cancelled", finished_at=timezone.now(), result="robot deleted"
    )
    robot.delete()


@transaction.atomic
def reorder_robots(stage: Stage, *, order: Sequence[int], actor: User) -> list[Robot]:
    """Put the robots of a stage in the given order of ids (ids not given keep their place after)."""
    require_admin(actor)
    robots_by_id = {r.pk: r for r in stage.robots.select_for_update().order_by("sort", "pk")}
    ids = [int(pk) for pk in order]
    if set(ids) - set(robots_by_id):
        raise Invalid("robot.not_in_stage", _("A robot in the new order belongs to another stage."))
    ordered = [robots_by_id[pk] for pk in ids] + [r for pk, r in robots_by_id.items() if pk not in ids]
    for index, robot in enumerate(ordered):
        robot.sort = (index + 1) * 10
    Robot.objects.bulk_update(ordered, ["sort"])
    return ordered


def clean_trigger(values: dict[str, Any], *, stage: Stage) -> dict[str, Any]:
    """Validate a trigger's settings for `stage`; return them cleaned."""
    kind = str(values.get("kind") or "")
    if kind not in Trigger.Kind.values:
        raise Invalid("trigger.unknown_kind", _("Unknown trigger kind."), details={"kind": kind})
    raw = values.get("params") or {}
    if not isinstance(raw, dict):
        raise Invalid(
            "trigger.invalid", _("Trigger settings are an object."), details={"params": str(raw)[:100]}
        )
    condition = clean_condition(values.get("condition"), model=model_of(stage))
    if kind == Trigger.Kind.FIELD_CONDITION and not condition:
        raise Invalid(
            "trigger.invalid", _("Set the condition that must become true."), details={"condition": ""}
        )
    cleaned: dict[str, Any] = {
        "kind": kind,
        "name": str(values.get("name") or "").strip()[:200],
        "params": _trigger_params(kind, raw),
        "condition": condition,
        "allow_backward": bool(values.get("allow_backward", False)),
        "is_active": bool(values.get("is_active", True)),
    }
    if "sort" in values and values["sort"] not in (None, ""):
        cleaned["sort"] = _int(values["sort"], "sort", 0, 1_000_000)
    return cleaned


def _trigger_params(kind: str, raw: dict) -> dict:
    if kind == Trigger.Kind.FORM_SUBMITTED:
        form_id = raw.get("form_id")
        if form_id in (None, ""):
            return {}
        from voronka.intake.models import WebForm

        try:
            form = WebForm.objects.get(pk=int(form_id))
        except (WebForm.DoesNotExist, TypeError, ValueError):
            raise Invalid(
                "trigger.invalid", _("Choose a web form."), details={"form_id": str(form_id)}
            ) from None
        return {"form_id": form.pk}
    if kind == Trigger.Kind.LINK_CLICKED:
        url = str(raw.get("url_contains") or "").strip()[:500]
        return {"url_contains": url} if url else {}
    if kind == Trigger.Kind.ACTIVITY_COMPLETED:
        from voronka.activities.models import Activity

        activity_kind = str(raw.get("activity_kind") or "")
        if activity_kind and activity_kind not in Activity.Kind.values:
            raise Invalid(
                "trigger.invalid", _("Choose the kind of activity."), details={"activity_kind": activity_kind}
            )
        return {"activity_kind": activity_kind} if activity_kind else {}
    if kind == Trigger.Kind.CALL_RECEIVED:
        status = str(raw.get("status") or "")
        if status and status not in ("answered", "missed"):
            raise Invalid(
                "trigger.invalid", _("Choose answered or missed calls."), details={"status": status}
            )
        return {"status": status} if status else {}
    return {}


@transaction.atomic
def create_trigger(*, stage: Stage, actor: User, **values: Any) -> Trigger:
    """Add a trigger to a stage."""
    require_admin(actor)
    cleaned = clean_trigger(values, stage=stage)
    cleaned.setdefault("sort", _next_sort(stage.triggers.all()))
    return Trigger.objects.create(stage=stage, **cleaned)


@transaction.atomic
def update_trigger(trigger: Trigger, *, actor: User, **values: Any) -> Trigger:
    """Change a trigger's settings (what is not given stays)."""
    require_admin(actor)
    trigger = Trigger.objects.select_for_update().select_related("stage__pipeline").get(pk=trigger.pk)
    unknown = set(values) - set(TRIGGER_FIELDS)
    if unknown:
        raise Invalid(
            "trigger.unknown_field", _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    current = {name: getattr(trigger, name) for name in TRIGGER_FIELDS}
    cleaned = clean_trigger({**current, **values}, stage=trigger.stage)
    for name, value in cleaned.items():
        setattr(trigger, name, value)
    trigger.updated_at = timezone.now()
    trigger.save()
    return trigger


@transaction.atomic
def renew_trigger_token(trigger: Trigger, *, actor: User) -> Trigger:
    """Give an inbound-webhook trigger a new secret URL (the old one stops working)."""
    require_admin(actor)
    trigger.token = new_trigger_token()
    trigger.save(update_fields=["token"])
    return trigger


@transaction.atomic
def delete_trigger(trigger: Trigger, *, actor: User) -> None:
    """Delete a trigger (its log stays)."""
    require_admin(actor)
    trigger.delete()
