"""Inbound e-mail (IMAP polling and the SMTP receiver): store, then route or set aside.

Rules enforced here:
- the raw message is stored before it is parsed; its Message-ID (or a digest of the bytes when
  it has none) makes a repeat delivery — IMAP and SMTP both, or a retried forward — a no-op;
- a message that cannot be parsed is kept and marked failed with the reason;
- auto-replies (Auto-Submitted, X-Autoreply, Precedence bulk/auto_reply, vacation subjects) and
  bounces (multipart/report delivery-status, MAILER-DAEMON) are stored as ignored, never leads;
- a reply (In-Reply-To / References naming a message the CRM sent — messaging's Message — or
  received) goes to that message's item;
- a bounce naming a message the CRM sent marks that message bounced (messaging's record_bounce);
- the HTML body is sanitised (nh3); attachments are stored with the request;
- every routed message's Message-ID is remembered with its item, so the next reply threads.
"""

import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.db import transaction

from voronka.crm.models import TimelineEntry
from voronka.crm.services.inbound import InboundResult
from voronka.intake import events
from voronka.intake.channels.mail import ParsedMail, parse_mail
from voronka.intake.models import Channel, IntakeRequest, MailThread
from voronka.intake.services.forms import store_attachment
from voronka.intake.services.inbound import Skip, build_inbound, current_item
from voronka.intake.services.requests import store_request
from voronka.messaging.selectors import sent_with_ids
from voronka.messaging.services.bounces import record_bounce

Status = IntakeRequest.Status
MAX_TIMELINE_HTML = 200_000


def external_id_of(raw: bytes) -> str:
    """Return the Message-ID of a raw message, or a digest of it when it has none."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
        message_id = str(headers.get("Message-ID") or "").strip()
    except (ValueError, TypeError, LookupError):
        message_id = ""
    if message_id and len(message_id) <= 250:
        return f"mid:{message_id}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


@transaction.atomic
def accept_mail(
    channel: Channel, raw: bytes, *, remote_addr: str | None = None, envelope: dict | None = None
) -> tuple[IntakeRequest, bool]:
    """Store one raw message for `channel`; return it and whether it is new."""
    headers: dict[str, str] = {}
    try:
        parsed_headers = BytesHeaderParser(policy=compat32).parsebytes(raw[: 256 * 1024])
        for name in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To"):
            if parsed_headers.get(name) is not None:
                headers[name] = str(parsed_headers.get(name))[:500]
    except (ValueError, TypeError, LookupError):
        headers = {}
    return store_request(
        channel,
        payload={"envelope": envelope or {}},
        raw=raw,
        headers=headers,
        remote_addr=remote_addr,
        external_id=external_id_of(raw),
    )


def prepare(row: IntakeRequest):
    """Return the core request of a stored message, or Skip for auto-replies and bounces."""
    parsed = parse_mail(bytes(row.raw))
    if parsed.bounce:
        marked = record_bounce(parsed.bounced_message_ids, reason=_bounce_reason(parsed))
        return Skip(
            Status.IGNORED,
            "mail.bounce",
            "A delivery failure report (bounce); not a request.",
            {"bounced_message_ids": parsed.bounced_message_ids, "messages_marked": [m.pk for m in marked]},
        )
    if parsed.auto_reply:
        return Skip(Status.IGNORED, "mail.auto_reply", f"An automatic reply ({parsed.auto_reply}).")
    if not row.attachments.exists():
        for attachment in parsed.attachments:
            store_attachment(
                row, name=attachment.name, content_type=attachment.content_type, content=attachment.content
            )
    first, _sep, last = parsed.from_name.partition(" ")
    return build_inbound(
        row,
        timeline_kind=TimelineEntry.Kind.MESSAGE,
        thread_item=_thread_item(parsed),
        first_name=first,
        last_name=last,
        emails=[parsed.from_address] if parsed.from_address else [],
        phones=parsed.phones,
        title=parsed.subject[:255],
        message=parsed.text,
        data={
            "direction": "in",
            "subject": parsed.subject,
            "from": parsed.from_address,
            "to": parsed.to[:20],
            "message_id": parsed.message_id,
            "in_reply_to": parsed.in_reply_to[:1],
            "html": parsed.html[:MAX_TIMELINE_HTML],
        },
    )


def _bounce_reason(parsed: ParsedMail) -> str:
    return (parsed.subject + "\n" + parsed.text[:1500]).strip()


def _thread_item(parsed: ParsedMail):
    """Return the lead or deal of the message this one answers: one we sent, or one we received."""
    ids = parsed.thread_ids
    if not ids:
        return None
    for message in sent_with_ids(ids):
        item = current_item(message.item_kind, message.item.pk)
        if item is not None:
            return item
    for thread in MailThread.objects.filter(message_id__in=ids).order_by("-pk")[:10]:
        item = current_item(thread.item_kind, thread.item_id)
        if item is not None:
            return item
    return None


def finish(row: IntakeRequest, result: InboundResult) -> events.MailReceived:
    """Remember the message's Message-ID with its item; return mail.received."""
    message_id = (result.entry.data.get("message_id") if result.entry else "") or ""
    if message_id:
        remember_message_id(
            message_id, item=result.item, request=row, subject=str(result.entry.data.get("subject", ""))
        )
    return events.MailReceived(
        channel_id=row.channel_id,
        request_id=row.pk,
        kind=result.item.kind.value,
        item_id=result.item.pk,
        outcome=result.outcome,
        is_reply=result.outcome == "thread_reply",
    )


def remember_message_id(
    message_id: str, *, item, request: IntakeRequest | None = None, subject: str = ""
) -> MailThread:
    """Record that `message_id` belongs to `item`'s thread (inbound mail, or an outbound message)."""
    return MailThread.objects.create(
        message_id=message_id[:255],
        request=request,
        item_kind=item.kind.value,
        item_id=item.pk,
        subject=subject[:500],
    )
