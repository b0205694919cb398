"""Configuring channels and web forms, and choosing the responsible for a new request.

Rules enforced here:
- only administrators configure channels and forms;
- a channel's rule is "nobody", a fixed active user, or a round-robin queue of active users;
- round-robin skips users who are absent (`absent_until`) or inactive; the position is a counter
  incremented with F() under the channel's row lock, so two requests routed at once never get
  the same turn; when everyone in the queue is absent the channel's fixed user (if any) gets it;
- a web form's fields map to known targets and existing custom fields; origins are
  scheme://host[:port]; attachment limits are bounded;
- an e-mail channel with IMAP settings is scheduled for polling when saved.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm.models import CustomField, Pipeline
from voronka.crm.services.items import resolve_source, resolve_user
from voronka.intake import events
from voronka.intake.channels.forms import clean_definition
from voronka.intake.models import Channel, QueueMember, WebForm
from voronka.lib import bus
from voronka.lib.errors import Forbidden, Invalid

MAX_ATTACHMENT = 25 * 1024 * 1024
CHANNEL_FIELDS = ("name", "is_active", "source", "pipeline", "rule", "responsible", "config")
FORM_FIELDS = (
    "title",
    "fields",
    "consent_text",
    "success_message",
    "redirect_url",
    "allowed_origins",
    "honeypot_field",
    "attachments_allowed",
    "max_attachment_size",
    "allowed_types",
    "max_attachments",
    "rate_limit",
)


def _require_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators configure intake channels."))


@transaction.atomic
def create_channel(
    *, kind: str, name: str, actor: User, queue: list[User] | None = None, **values: Any
) -> Channel:
    """Create a channel of `kind` (a web form channel gets its form too)."""
    _require_admin(actor)
    if kind not in Channel.Kind.values:
        raise Invalid("channel.bad_kind", _("Unknown channel kind."))
    channel = Channel(kind=kind)
    _apply(channel, {"name": name, **values})
    channel.save()
    if queue is not None:
        set_queue(channel, users=queue, actor=actor)
    if kind == Channel.Kind.FORM:
        WebForm.objects.create(channel=channel, title=channel.name)
    _schedule_if_imap(channel)
    return channel


@transaction.atomic
def update_channel(channel: Channel, *, actor: User, **values: Any) -> Channel:
    """Change a channel's name, routing rule or settings."""
    _require_admin(actor)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    _apply(channel, values)
    channel.save()
    _schedule_if_imap(channel)
    return channel


def _apply(channel: Channel, values: dict[str, Any]) -> None:
    unknown = set(values) - set(CHANNEL_FIELDS)
    if unknown:
        raise Invalid(
            "channel.unknown_field", _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}
        )
    for name, value in values.items():
        if name == "source":
            value = resolve_source(value)
        elif name == "responsible":
            value = resolve_user(value)
        elif name == "pipeline" and value is not None and value.kind != Pipeline.Kind.DEAL:
            raise Invalid("channel.bad_pipeline", _("Choose a deal pipeline."))
        elif name == "config" and not isinstance(value, dict):
            raise Invalid("channel.bad_config", _("Settings are names and values."))
        setattr(channel, name, value)
    channel.name = str(channel.name or "").strip()[:200]
    if not channel.name:
        raise Invalid("channel.name_required", _("A channel needs a name."), details={"name": _("Required.")})
    if channel.rule not in Channel.Rule.values:
        raise Invalid("channel.bad_rule", _("Unknown responsible rule."))
    if channel.rule == Channel.Rule.FIXED and channel.responsible is None:
        raise Invalid(
            "channel.responsible_required",
            _("Choose who is responsible."),
            details={"responsible": _("Required.")},
        )


@transaction.atomic
def set_queue(channel: Channel, *, users: list[User], actor: User) -> Channel:
    """Replace the channel's round-robin queue (in the order given)."""
    _require_admin(actor)
    people = [resolve_user(user) for user in users]
    QueueMember.objects.filter(channel=channel).delete()
    QueueMember.objects.bulk_create(
        QueueMember(channel=channel, user=user, sort=index) for index, user in enumerate(people) if user
    )
    return channel


@transaction.atomic
def rotate_token(channel: Channel, *, actor: User) -> Channel:
    """Give the channel a new secret token (the old one stops working at once)."""
    from voronka.intake.models import new_token

    _require_admin(actor)
    channel.token = new_token()
    channel.save(update_fields=["token"])
    return channel


def pick_responsible(channel: Channel) -> User | None:
    """Return the user who gets the channel's next new item by its rule (advances round-robin)."""
    if channel.rule == Channel.Rule.FIXED:
        user = channel.responsible
        return user if user is not None and user.is_active else None
    if channel.rule != Channel.Rule.ROUND_ROBIN:
        return None
    today = timezone.localdate()
    eligible = list(
        User.objects.filter(
            pk__in=QueueMember.objects.filter(channel_id=channel.pk).values("user_id"), is_active=True
        )
        .exclude(absent_until__gte=today)
        .order_by("pk")
    )
    if not eligible:
        return channel.responsible
    order = dict(QueueMember.objects.filter(channel_id=channel.pk).values_list("user_id", "sort"))
    eligible.sort(key=lambda user: (order.get(user.pk, 0), user.pk))
    with transaction.atomic():
        # The UPDATE takes the row lock until commit: concurrent routings get consecutive turns.
        Channel.objects.filter(pk=channel.pk).update(rr_counter=F("rr_counter") + 1)
        turn = Channel.objects.filter(pk=channel.pk).values_list("rr_counter", flat=True).get()
    return eligible[(turn - 1) % len(eligible)]


@transaction.atomic
def update_form(form: WebForm, *, actor: User, **values: Any) -> WebForm:
    """Change a web form: its fields, consent, success message, origins and limits."""
    _require_admin(actor)
    unknown = set(values) - set(FORM_FIELDS)
    if unknown:
        raise Invalid("form.unknown_field", _("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
    if "fields" in values:
        values["fields"] = clean_definition(values["fields"])
        _check_custom_targets(values["fields"])
    if "allowed_origins" in values:
        values["allowed_origins"] = _clean_origins(values["allowed_origins"])
    if "max_attachment_size" in values and not 0 < int(values["max_attachment_size"]) <= MAX_ATTACHMENT:
        raise Invalid("form.attachment_too_large", _("At most 25 MB per file."))
    if "honeypot_field" in values and not str(values["honeypot_field"]).isidentifier():
        raise Invalid("form.bad_honeypot", _("The honeypot field name must be a plain name."))
    for name, value in values.items():
        setattr(form, name, value)
    form.save()
    return form


def _check_custom_targets(fields: list[dict[str, Any]]) -> None:
    codes = {
        field["target"].removeprefix("custom:") for field in fields if field["target"].startswith("custom:")
    }
    if not codes:
        return
    known = set(CustomField.objects.filter(code__in=codes).values_list("code", flat=True))
    if codes - known:
        raise Invalid(
            "form.unknown_custom_field",
            _("Unknown custom fields: %(codes)s.") % {"codes": ", ".join(sorted(codes - known))},
        )


def _clean_origins(raw: str | list[str]) -> str:
    lines = raw if isinstance(raw, list) else str(raw or "").splitlines()
    origins = []
    for line in (str(line).strip().rstrip("/") for line in lines):
        if not line:
            continue
        parts = urlsplit(line)
        if line != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
            raise Invalid(
                "form.bad_origin",
                _("“%(origin)s” is not an origin (https://site.example).") % {"origin": line},
                details={"allowed_origins": line},
            )
        origins.append(line)
    return "\n".join(origins)


def _schedule_if_imap(channel: Channel) -> None:
    if channel.kind == Channel.Kind.EMAIL and channel.is_active and channel.config.get("imap"):
        schedule_polling(channel, at=timezone.now())


def schedule_polling(channel: Channel, *, at: dt.datetime) -> None:
    """Make `at` the channel's next IMAP poll and queue it (the previous chain stops by its claim)."""
    due = at.replace(microsecond=0)
    Channel.objects.filter(pk=channel.pk).update(next_poll_at=due)
    channel.next_poll_at = due
    bus.publish(events.MailboxPollScheduled(channel_id=channel.pk, due=due.isoformat()))
