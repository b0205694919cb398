"""The robot that plans an activity (a call, meeting, task...) for the responsible or another user."""

import datetime as dt

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.activities.models import Activity
from voronka.activities.services.activities import create_activity
from voronka.automation.robots import (
    Context,
    RobotKind,
    register,
    require_int,
    require_text,
    resolve_user,
    user_reference,
)
from voronka.lib import clock
from voronka.lib.errors import Invalid


def clean(params: dict, stage) -> dict:
    kind = str(params.get("activity_kind") or Activity.Kind.TASK)
    if kind not in Activity.Kind.values:
        raise Invalid("robot.invalid", _("Choose the kind of activity."), details={"activity_kind": kind})
    return {
        "activity_kind": kind,
        "subject": require_text(params, "subject", limit=255),
        "description": require_text(params, "description", required=False),
        # The deadline: this many minutes after the robot runs.
        "deadline_minutes": require_int(params, "deadline_minutes", maximum=525_600, default=60),
        "responsible": user_reference(params, "responsible"),
    }


def run(context: Context) -> str:
    params = context.params
    user = resolve_user(params["responsible"], context.item)
    if user is None:
        raise Invalid(
            "robot.no_responsible", gettext("The item has no responsible to plan the activity for.")
        )
    activity = create_activity(
        context.item,
        kind=params["activity_kind"],
        actor=context.actor,
        deadline=clock.now() + dt.timedelta(minutes=params["deadline_minutes"]),
        subject=params["subject"],
        description=params.get("description", ""),
        assigned_to=user,
        data={"robot_run": context.run.pk},
    )
    return gettext("Planned “%(subject)s” for %(user)s") % {"subject": activity.subject, "user": user}


register(RobotKind("create_activity", clean, run))
