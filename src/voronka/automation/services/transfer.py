"""A pipeline's automation as a JSON document, to copy it between installations.

Stages are named by their codes; installation-specific references are named portably:
templates by name, users by login, forms by their channel's name. Importing checks every
stage code and every robot and trigger (the same validation as the editor) before writing
anything; by default it replaces the pipeline's robots and triggers. Trigger tokens are
never exported: an imported webhook trigger gets a new secret URL.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.automation.models import Robot, Trigger
from voronka.automation.services.settings import clean_robot, clean_trigger, require_admin
from voronka.crm.models import Pipeline
from voronka.lib.errors import DomainError, Invalid
from voronka.messaging.models import Template

FORMAT = "voronka.automation/1"
ROBOT_KEYS = (
    "kind",
    "name",
    "sort",
    "timing",
    "delay",
    "delay_unit",
    "in_working_hours",
    "date_field",
    "condition",
    "is_active",
)
TRIGGER_KEYS = ("kind", "name", "sort", "condition", "allow_backward", "is_active")


def export_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """Return the automation of `pipeline` as a JSON-able document."""
    stages: dict[str, dict[str, list]] = {
        stage.code: {"robots": [], "triggers": []} for stage in pipeline.stages.order_by("sort", "pk")
    }
    robots = Robot.objects.filter(stage__pipeline=pipeline).select_related("stage").order_by("sort", "pk")
    for robot in robots:
        row = {key: getattr(robot, key) for key in ROBOT_KEYS}
        row["params"] = _portable(dict(robot.params))
        stages[robot.stage.code]["robots"].append(row)
    triggers = Trigger.objects.filter(stage__pipeline=pipeline).select_related("stage").order_by("sort", "pk")
    for trigger in triggers:
        row = {key: getattr(trigger, key) for key in TRIGGER_KEYS}
        row["params"] = _portable(dict(trigger.params))
        stages[trigger.stage.code]["triggers"].append(row)
    return {"format": FORMAT, "pipeline": {"kind": pipeline.kind, "name": pipeline.title}, "stages": stages}


def _portable(params: dict) -> dict:
    if "template_id" in params:
        template = Template.objects.filter(pk=params.pop("template_id")).first()
        if template is not None:
            params["template"] = template.name
    if "form_id" in params:
        from voronka.intake.models import WebForm

        form = WebForm.objects.select_related("channel").filter(pk=params.pop("form_id")).first()
        if form is not None:
            params["form"] = form.channel.name
    for name in ("responsible", "user"):
        if isinstance(params.get(name), int):
            params[name] = _login(params[name])
    if "user_ids" in params:
        params["users"] = [_login(pk) for pk in params.pop("user_ids")]
    if "department_id" in params:
        from voronka.accounts.models import Department

        department = Department.objects.filter(pk=params.pop("department_id")).first()
        if department is not None:
            params["department"] = department.name
    return params


def _login(user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


def _local(params: dict, *, channel: str, where: str) -> dict:
    params = dict(params)
    if "template" in params:
        name = params.pop("template")
        template = Template.objects.filter(name=name, channel=channel, is_active=True).first()
        if template is None:
            raise Invalid(
                "automation.import_missing",
                _("No template named “%(name)s”.") % {"name": name},
                details={where: name},
            )
        params["template_id"] = template.pk
    if "form" in params:
        from voronka.intake.models import WebForm

        name = params.pop("form")
        form = WebForm.objects.filter(channel__name=name).first()
        if form is None:
            raise Invalid(
                "automation.import_missing",
                _("No web form named “%(name)s”.") % {"name": name},
                details={where: name},
            )
        params["form_id"] = form.pk
    for name in ("responsible", "user"):
        if isinstance(params.get(name), str) and params[name] != "responsible":
            params[name] = _user_id(params[name], where)
    if "users" in params:
        params["user_ids"] = [_user_id(login, where) for login in params.pop("users")]
    if "department" in params:
        from voronka.accounts.models import Department

        name = params.pop("department")
        department = Department.objects.filter(name=name).first()
        if department is None:
            raise Invalid(
                "automation.import_missing",
                _("No department “%(name)s”.") % {"name": name},
                details={where: name},
            )
        params["department_id"] = department.pk
    return params


def _user_id(login: str, where: str) -> int:
    user_id = User.objects.filter(username=login, is_active=True).values_list("pk", flat=True).first()
    if user_id is None:
        raise Invalid(
            "automation.import_missing",
            _("No active user “%(login)s”.") % {"login": login},
            details={where: login},
        )
    return user_id


@transaction.atomic
def import_pipeline(
    pipeline: Pipeline, document: Any, *, actor: User, replace: bool = True
) -> dict[str, int]:
    """Load a document made by `export_pipeline` into `pipeline`; return how many robots and triggers."""
    require_admin(actor)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise Invalid(
            "automation.import_format",
            _("This is not an automation export (format %(format)s).") % {"format": FORMAT},
        )
    kind = (document.get("pipeline") or {}).get("kind")
    if kind and kind != pipeline.kind:
        raise Invalid("automation.import_kind", _("The export is for another kind of pipeline."))
    stages = {stage.code: stage for stage in pipeline.stages.select_related("pipeline")}
    given = document.get("stages") or {}
    if not isinstance(given, dict):
        raise Invalid("automation.import_format", _("“stages” maps stage codes to robots and triggers."))
    missing = sorted(set(given) - set(stages))
    if missing:
        raise Invalid(
            "automation.import_stages",
            _("The pipeline has no stages %(codes)s.") % {"codes": ", ".join(missing)},
            details={"stages": missing},
        )
    robots, triggers = [], []
    for code, content in given.items():
        stage = stages[code]
        for index, row in enumerate((content or {}).get("robots") or []):
            where = f"stages.{code}.robots.{index}"
            channel = "sms" if row.get("kind") == "send_sms" else "email"
            values = {k: row[k] for k in ROBOT_KEYS if k in row}
            values["params"] = _local(row.get("params") or {}, channel=channel, where=where)
            robots.append(Robot(stage=stage, **_checked(clean_robot, values, stage, where)))
        for index, row in enumerate((content or {}).get("triggers") or []):
            where = f"stages.{code}.triggers.{index}"
            values = {k: row[k] for k in TRIGGER_KEYS if k in row}
            values["params"] = _local(row.get("params") or {}, channel="email", where=where)
            triggers.append(Trigger(stage=stage, **_checked(clean_trigger, values, stage, where)))
    if replace:
        Robot.objects.filter(stage__pipeline=pipeline).delete()
        Trigger.objects.filter(stage__pipeline=pipeline).delete()
    for robot in robots:
        robot.save()
    for trigger in triggers:
        trigger.save()
    return {"robots": len(robots), "triggers": len(triggers)}


def _checked(clean, values: dict, stage, where: str) -> dict:
    try:
        return clean(values, stage=stage)
    except DomainError as error:
        raise type(error)(error.code, error.message, details={where: error.details}) from None
