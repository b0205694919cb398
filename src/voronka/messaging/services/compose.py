"""Composing e-mails and SMS from an item: recipients, templates, sanitising, queueing.

Rules enforced here:
- the actor may see the item; the recipient is a valid e-mail address (an E.164 phone for SMS),
  by default the item's first one (a deal's: its contact's, then its company's);
- a template is active, of the right channel and for the item's kind; placeholders are filled
  in a sandbox (messaging.rendering), the HTML sanitised (nh3), a plain-text part made;
- an e-mail needs a subject and a body, an SMS a text of at most 1,000 characters;
- the same idempotency key returns the message made the first time (robots and retries
  never send twice);
- every message starts "queued" on the item's timeline; MessageQueued tells the worker.
"""

import datetime as dt
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.lib.emails import normalize_email
from voronka.lib.errors import Conflict, Invalid, NotFound
from voronka.lib.phones import normalize_phone
from voronka.messaging import rendering, selectors, tracking
from voronka.messaging.models import Channel, Message, Template
from voronka.messaging.services.states import queued

SMS_LIMIT = 1000


@transaction.atomic
def send_email(
    item,
    *,
    actor: User,
    to: str | None = None,
    template: Template | None = None,
    subject: str | None = None,
    body: str | None = None,
    body_is_text: bool = False,
    idempotency_key: str | None = None,
    send_after: dt.datetime | None = None,
    in_reply_to: str = "",
) -> Message:
    """Queue an e-mail to the item (or its client); return the Message."""
    _require_item(actor, item)
    if existing := _existing(idempotency_key, Channel.EMAIL):
        return existing
    address = _recipient(item, Channel.EMAIL, to)
    subject_source, body_source = _sources(template, Channel.EMAIL, item, subject, body)
    context = rendering.context_for(item, sender=actor)
    if body_is_text:
        body_source = rendering.text_to_html(body_source)
    rendered_subject = " ".join(rendering.render_text(subject_source, context, field="subject").split())
    html = rendering.render_html(body_source, context)
    errors = {}
    if not rendered_subject:
        errors["subject"] = str(_("Write a subject."))
    elif len(rendered_subject) > 255:
        errors["subject"] = str(_("At most %(limit)d characters.") % {"limit": 255})
    text = rendering.html_to_text(html)
    if not text.strip():
        errors["body"] = str(_("Write the message."))
    if errors:
        raise Invalid("message.invalid", _("Some fields are wrong."), details=errors)
    message = Message(
        **{item.kind.value: item},
        channel=Channel.EMAIL,
        to=address,
        to_name=_recipient_name(item),
        from_email=formataddr((actor.display_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
        subject=rendered_subject,
        body_html=html,
        body_text=text,
        template=template,
        idempotency_key=idempotency_key or None,
        scheduled_at=send_after or timezone.now(),
        in_reply_to=(in_reply_to or "")[:255],
        created_by=actor,
    )
    message.message_id = f"<{message.public_id.hex}@{_domain()}>"
    _html, message.links = rendering.track_links(
        html, lambda index: tracking.redirect_url(message.public_id, index)
    )
    return _save(message, actor)


@transaction.atomic
def send_sms(
    item,
    *,
    actor: User,
    to: str | None = None,
    template: Template | None = None,
    text: str | None = None,
    idempotency_key: str | None = None,
    send_after: dt.datetime | None = None,
) -> Message:
    """Queue an SMS to the item (or its client); return the Message."""
    _require_item(actor, item)
    if existing := _existing(idempotency_key, Channel.SMS):
        return existing
    phone = _recipient(item, Channel.SMS, to)
    _subject, source = _sources(template, Channel.SMS, item, "", text)
    context = rendering.context_for(item, sender=actor)
    rendered = rendering.render_text(source, context, field="text").strip()
    if not rendered:
        raise Invalid("message.invalid", _("Write the message."), details={"text": str(_("Required."))})
    if len(rendered) > SMS_LIMIT:
        raise Invalid(
            "message.invalid",
            _("At most %(limit)d characters.") % {"limit": SMS_LIMIT},
            details={"text": str(_("Too long."))},
        )
    message = Message(
        **{item.kind.value: item},
        channel=Channel.SMS,
        to=phone,
        to_name=_recipient_name(item),
        body_text=rendered,
        template=template,
        idempotency_key=idempotency_key or None,
        scheduled_at=send_after or timezone.now(),
        created_by=actor,
    )
    return _save(message, actor)


@transaction.atomic
def retry_message(message: Message, *, actor: User) -> Message:
    """Queue a failed (or uncertain) message again, with the same Message-ID."""
    _require_item(actor, message.item)
    updated = Message.objects.filter(
        pk=message.pk, status__in=(Message.Status.FAILED, Message.Status.UNCERTAIN)
    ).update(
        status=Message.Status.QUEUED,
        scheduled_at=timezone.now(),
        attempts=0,
        claim_token=None,
        claimed_at=None,
        handed_over_at=None,
        error="",
        error_code="",
        is_bounce=False,
        failed_at=None,
    )
    if not updated:
        raise Conflict("message.not_failed", _("Only a failed message can be sent again."))
    message.refresh_from_db()
    queued(message, actor=actor, note="retry")
    return message


def _save(message: Message, actor: User) -> Message:
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another request with the same idempotency key won the race: theirs is the message.
        if message.idempotency_key and (found := _existing(message.idempotency_key, message.channel)):
            return found
        raise
    queued(message, actor=actor)
    return message


def _existing(key: str | None, channel: str) -> Message | None:
    if not key:
        return None
    found = Message.objects.filter(idempotency_key=key).first()
    if found is not None and found.channel != channel:
        raise Conflict("message.key_reused", _("This idempotency key was used for another message."))
    return found


def _require_item(actor: User, item) -> None:
    if item is None or not can(actor, Action.READ, item.kind.value, owner_id=item.assigned_to_id):
        raise NotFound("item.not_found", _("Not found."))


def _recipient(item, channel: str, to: str | None) -> str:
    field = "to"
    if to in (None, ""):
        found = selectors.addresses(item, channel)
        if not found:
            raise Invalid(
                "message.no_address",
                _("This item has no e-mail address.")
                if channel == Channel.EMAIL
                else _("This item has no phone."),
                details={field: str(_("Required."))},
            )
        return found[0].value
    try:
        return normalize_email(to) if channel == Channel.EMAIL else normalize_phone(to)
    except Invalid as error:
        raise Invalid(error.code, error.message, details={field: str(error.message)}) from error


def _recipient_name(item) -> str:
    person = item.contact if item.kind.value == "deal" and item.contact_id else item
    return str(getattr(person, "full_name", "") or "")[:255]


def _sources(template, channel, item, subject, body) -> tuple[str, str]:
    if template is not None:
        if template.channel != channel or not template.is_active:
            raise Invalid("template.unusable", _("This template cannot be used here."))
        if template.entity and template.entity != item.kind.value:
            raise Invalid("template.unusable", _("This template is for another kind of item."))
    subject_source = subject if subject not in (None, "") else (template.subject if template else "")
    body_source = body if body not in (None, "") else (template.body if template else "")
    return subject_source or "", body_source or ""


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"
