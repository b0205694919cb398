"""The robot that tells a user something: a notification in the interface and a line on the timeline."""

from django.utils.translation import gettext

from voronka.activities.services.notifications import notify
from voronka.automation.robots import Context, RobotKind, register, require_text, resolve_user, user_reference
from voronka.crm.services import timeline
from voronka.lib.errors import Invalid


def clean(params: dict, stage) -> dict:
    return {"user": user_reference(params, "user"), "text": require_text(params, "text", limit=500)}


def run(context: Context) -> str:
    user = resolve_user(context.params["user"], context.item)
    if user is None:
        raise Invalid("robot.no_user", gettext("There is nobody to notify (the item has no responsible)."))
    text = f"{context.item}: {context.params['text']}"
    notify(user, text=text, item=context.item, key=f"robot-run:{context.run.pk}")
    timeline.record(
        context.item,
        kind=timeline.Kind.ROBOT,
        actor=context.actor,
        text=context.params["text"],
        data={"robot_id": context.robot.pk, "run_id": context.run.pk, "notified": user.pk},
    )
    return gettext("Notified %(user)s") % {"user": user}


register(RobotKind("notify", clean, run))
