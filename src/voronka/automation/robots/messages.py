"""Robots that write to the client: an e-mail (from a template or typed) and an SMS."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.automation.robots import Context, RobotKind, register, require_text
from voronka.lib.errors import Invalid
from voronka.messaging.models import Channel, Template
from voronka.messaging.services.compose import send_email, send_sms


def _template(params: dict, channel: str) -> int | None:
    raw = params.get("template_id")
    if raw in (None, ""):
        return None
    try:
        template = Template.objects.get(pk=int(raw), channel=channel, is_active=True)
    except (Template.DoesNotExist, TypeError, ValueError):
        raise Invalid(
            "robot.invalid", _("Choose an active template."), details={"template_id": str(raw)}
        ) from None
    return template.pk


def clean_email(params: dict, stage) -> dict:
    template_id = _template(params, Channel.EMAIL)
    if template_id is not None:
        return {"template_id": template_id}
    return {"subject": require_text(params, "subject", limit=255), "body": require_text(params, "body")}


def run_email(context: Context) -> str:
    params = context.params
    template = (
        Template.objects.filter(pk=params["template_id"]).first() if params.get("template_id") else None
    )
    if params.get("template_id") and template is None:
        raise Invalid("robot.template_gone", gettext("The e-mail template was deleted."))
    message = send_email(
        context.item,
        actor=context.actor,
        template=template,
        subject=params.get("subject"),
        body=params.get("body"),
        body_is_text="<" not in (params.get("body") or "<"),
        # The run's key: a retried run finds the message made the first time.
        idempotency_key=f"robot-run:{context.run.pk}",
    )
    return gettext("E-mail “%(subject)s” queued to %(to)s") % {"subject": message.subject, "to": message.to}


def clean_sms(params: dict, stage) -> dict:
    template_id = _template(params, Channel.SMS)
    if template_id is not None:
        return {"template_id": template_id}
    return {"text": require_text(params, "text", limit=1000)}


def run_sms(context: Context) -> str:
    params = context.params
    template = (
        Template.objects.filter(pk=params["template_id"]).first() if params.get("template_id") else None
    )
    message = send_sms(
        context.item,
        actor=context.actor,
        template=template,
        text=params.get("text"),
        idempotency_key=f"robot-run:{context.run.pk}",
    )
    return gettext("SMS queued to %(to)s") % {"to": message.to}


register(RobotKind("send_email", clean_email, run_email))
register(RobotKind("send_sms", clean_sms, run_sms))
