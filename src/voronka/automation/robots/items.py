"""Robots that change the item: its stage, responsible, a field, a comment; converting a lead."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.automation.robots import Context, RobotKind, register, require_text
from voronka.crm.models import Lead, Stage
from voronka.crm.services import items as item_services
from voronka.crm.services.conversion import convert_lead
from voronka.crm.services.deals import update_deal
from voronka.crm.services.leads import update_lead
from voronka.crm.services.stages import move
from voronka.crm.services.timeline import add_comment
from voronka.lib.errors import Invalid


def clean_change_stage(params: dict, stage) -> dict:
    code = require_text(params, "stage_code", limit=50)
    target = Stage.objects.filter(pipeline_id=stage.pipeline_id, code=code).first()
    if target is None:
        raise Invalid(
            "robot.invalid", _("Choose a stage of the same pipeline."), details={"stage_code": code}
        )
    if target.pk == stage.pk:
        raise Invalid(
            "robot.invalid", _("Choose another stage than the robot's own."), details={"stage_code": code}
        )
    if target.pipeline.kind == "lead" and target.is_won:
        raise Invalid(
            "robot.invalid",
            _("A lead reaches this status by conversion: use the conversion robot."),
            details={"stage_code": code},
        )
    return {"stage_code": code}


def run_change_stage(context: Context) -> str:
    item = context.item
    current = item.status if isinstance(item, Lead) else item.stage
    target = Stage.objects.filter(pipeline_id=current.pipeline_id, code=context.params["stage_code"]).first()
    if target is None:
        raise Invalid("robot.stage_gone", gettext("The target stage no longer exists."))
    move(item, to=target, actor=context.actor, reason=gettext("Robot “%(name)s”") % {"name": context.robot})
    return gettext("Moved to “%(stage)s”") % {"stage": target.title}


def clean_change_responsible(params: dict, stage) -> dict:
    mode = str(params.get("mode") or "first")
    if mode not in ("first", "round_robin"):
        raise Invalid("robot.invalid", _("Choose how the user is picked."), details={"mode": mode})
    if params.get("department_id") not in (None, ""):
        from voronka.accounts.models import Department

        try:
            department = Department.objects.get(pk=int(params["department_id"]))
        except (Department.DoesNotExist, TypeError, ValueError):
            raise Invalid(
                "robot.invalid",
                _("Choose a department."),
                details={"department_id": str(params["department_id"])},
            ) from None
        return {"department_id": department.pk, "mode": mode}
    raw = params.get("user_ids") or []
    if isinstance(raw, (str, int)):
        raw = [part for part in str(raw).replace(" ", "").split(",") if part]
    try:
        ids = [int(value) for value in raw]
    except (TypeError, ValueError):
        raise Invalid("robot.invalid", _("Choose users."), details={"user_ids": str(raw)}) from None
    known = set(User.objects.filter(pk__in=ids, is_active=True, is_system=False).values_list("pk", flat=True))
    if not ids or set(ids) - known:
        raise Invalid("robot.invalid", _("Choose one or more active users."), details={"user_ids": str(raw)})
    return {"user_ids": list(dict.fromkeys(ids)), "mode": mode}


def _candidates(params: dict) -> list[User]:
    if "department_id" in params:
        people = User.objects.filter(department_id=params["department_id"], is_active=True, is_system=False)
        return [user for user in people.order_by("pk") if not user.is_absent]
    users = {u.pk: u for u in User.objects.filter(pk__in=params["user_ids"], is_active=True)}
    return [users[pk] for pk in params["user_ids"] if pk in users and not users[pk].is_absent]


def run_change_responsible(context: Context) -> str:
    params = context.params
    present = _candidates(params)
    if not present:
        raise Invalid("robot.no_user", gettext("None of the robot's users is at work."))
    if params["mode"] == "round_robin":
        # The robot's finished runs count the turns: no counter row to keep.
        turn = context.robot.runs.filter(status="done").count()
        user = present[turn % len(present)]
    else:
        user = present[0]
    _update(context.item, actor=context.actor, assigned_to=user)
    return gettext("Responsible: %(user)s") % {"user": user}


def clean_add_comment(params: dict, stage) -> dict:
    return {"text": require_text(params, "text")}


def run_add_comment(context: Context) -> str:
    add_comment(context.item, text=context.params["text"], actor=context.actor)
    return gettext("Comment added")


def clean_set_field(params: dict, stage) -> dict:
    field = require_text(params, "field", limit=100)
    kind = stage.pipeline.kind
    if not field.startswith("custom.") and field not in item_services.FIELDS[kind]:
        raise Invalid("robot.invalid", _("This field cannot be set by a robot."), details={"field": field})
    value = params.get("value", "")
    return {"field": field, "value": "" if value is None else str(value)[:10_000]}


def run_set_field(context: Context) -> str:
    field, value = context.params["field"], context.params["value"]
    if field.startswith("custom."):
        _update(context.item, actor=context.actor, custom={field.split(".", 1)[1]: value})
    else:
        _update(context.item, actor=context.actor, **{field: value or None if field != "title" else value})
    return gettext("%(field)s = %(value)s") % {"field": field, "value": value}


def _update(item, *, actor, **values):
    if isinstance(item, Lead):
        return update_lead(item, actor=actor, **values)
    return update_deal(item, actor=actor, **values)


def clean_convert(params: dict, stage) -> dict:
    return {"with_deal": bool(params.get("with_deal", True))}


def run_convert(context: Context) -> str:
    conversion = convert_lead(
        context.item, actor=context.actor, with_deal=context.params.get("with_deal", True)
    )
    if conversion.deal is not None:
        return gettext("Converted: deal #%(id)s") % {"id": conversion.deal.pk}
    return gettext("Converted")


register(RobotKind("change_stage", clean_change_stage, run_change_stage))
register(RobotKind("change_responsible", clean_change_responsible, run_change_responsible))
register(RobotKind("add_comment", clean_add_comment, run_add_comment))
register(RobotKind("set_field", clean_set_field, run_set_field))
register(RobotKind("convert_lead", clean_convert, run_convert, kinds=("lead",)))
