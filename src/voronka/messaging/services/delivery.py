"""Handing queued messages to the mail server or SMS gateway, exactly once or visibly not.

Rules enforced here (the whole argument is in messaging/README.md):
- a worker claims a message with a conditional UPDATE (queued → sending, with a fresh claim
  token); a second worker, a retried task or a re-delivered task finds nothing to claim;
- just before the server gets the message itself, the worker records `handed_over_at` — again
  conditional on its claim token, so a worker whose claim was taken over stops there;
- the outcome is written conditional on the claim token: sent, failed (refused: a bounce, with
  the server's code and reason), or queued again for a later attempt (temporary trouble:
  1, 5, 15, 60 minutes; failed after 5 attempts);
- housekeeping (the worker, every few seconds) finds claims older than the lease: those never
  handed over are queued again (the server has nothing), those handed over become "uncertain"
  and are NOT resent — at most once; a person may retry them. Queued messages whose task was
  lost are announced again.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from voronka.messaging import rendering, tracking
from voronka.messaging.backends.base import (
    DeliveryUncertain,
    HandoverRefused,
    PermanentFailure,
    TemporaryFailure,
    TransportError,
)
from voronka.messaging.backends.email import email_transport
from voronka.messaging.backends.sms import sms_backend
from voronka.messaging.models import Channel, Message
from voronka.messaging.services import states

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15), dt.timedelta(hours=1))


def claim(message_id: int) -> uuid.UUID | None:
    """Claim a due queued message for this worker; None if it is not there to claim."""
    token = uuid.uuid4()
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=Message.Status.QUEUED, scheduled_at__lte=now + dt.timedelta(seconds=1)
    ).update(
        status=Message.Status.SENDING,
        claim_token=token,
        claimed_at=now,
        handed_over_at=None,
        attempts=F("attempts") + 1,
    )
    return token if claimed else None


def deliver(message_id: int) -> str:
    """Send one message if it is due and unclaimed; return what happened."""
    token = claim(message_id)
    if token is None:
        return "not_claimed"
    message = Message.objects.get(pk=message_id)

    def before_handover() -> bool:
        # Autocommit: the mark is durable before the server sees a byte of the message.
        return bool(
            Message.objects.filter(pk=message_id, claim_token=token, status=Message.Status.SENDING).update(
                handed_over_at=timezone.now()
            )
        )

    try:
        provider_id = _send(message, before_handover)
    except HandoverRefused:
        return "claim_lost"
    except PermanentFailure as error:
        return _finish_failed(message, token, error, bounce=True)
    except TemporaryFailure as error:
        return _retry_or_fail(message, token, error)
    except DeliveryUncertain as error:
        return _finish_uncertain(message, token, error)
    return _finish_sent(message, token, provider_id)


def _send(message: Message, before_handover) -> str:
    if message.channel == Channel.SMS:
        receipt = sms_backend().send(
            to=message.to,
            text=message.body_text,
            reference=message.public_id.hex,
            before_handover=before_handover,
        )
        return receipt.provider_id
    email_transport().send(build_email(message), before_handover=before_handover)
    return ""


def build_email(message: Message) -> EmailMultiAlternatives:
    """Return the MIME message: a plain-text part and the HTML part with tracked links and the pixel."""
    html, _links = rendering.track_links(
        message.body_html, lambda index: tracking.redirect_url(message.public_id, index)
    )
    pixel = tracking.pixel_url(message.public_id)
    html += f'<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0">'
    headers = {"Message-ID": message.message_id, "X-Voronka-Message": message.public_id.hex}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
        headers["References"] = message.in_reply_to
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[f'"{message.to_name}" <{message.to}>' if message.to_name else message.to],
        reply_to=[settings.DEFAULT_FROM_EMAIL],
        headers=headers,
    )
    email.attach_alternative(f"<!doctype html><html><body>{html}</body></html>", "text/html")
    return email


def _owned(message: Message, token: uuid.UUID):
    return Message.objects.filter(pk=message.pk, claim_token=token, status=Message.Status.SENDING)


@transaction.atomic
def _finish_sent(message: Message, token: uuid.UUID, provider_id: str) -> str:
    now = timezone.now()
    if not _owned(message, token).update(
        status=Message.Status.SENT, sent_at=now, provider_id=provider_id, error="", error_code=""
    ):
        # Housekeeping called it uncertain meanwhile; the server did take it after all.
        Message.objects.filter(pk=message.pk, status=Message.Status.UNCERTAIN).update(
            status=Message.Status.SENT, sent_at=now, provider_id=provider_id
        )
    message.refresh_from_db()
    states.sent(message)
    return "sent"


@transaction.atomic
def _finish_failed(message: Message, token: uuid.UUID, error: TransportError, *, bounce: bool) -> str:
    if not _owned(message, token).update(
        status=Message.Status.FAILED,
        failed_at=timezone.now(),
        error_code=error.code,
        error=error.reason,
        is_bounce=bounce,
    ):
        return "claim_lost"
    message.refresh_from_db()
    states.failed(message)
    return "bounced" if bounce else "failed"


@transaction.atomic
def _retry_or_fail(message: Message, token: uuid.UUID, error: TransportError) -> str:
    message.refresh_from_db(fields=["attempts"])
    if message.attempts >= MAX_ATTEMPTS:
        return _finish_failed(message, token, error, bounce=False)
    delay = BACKOFF[min(message.attempts - 1, len(BACKOFF) - 1)]
    if not _owned(message, token).update(
        status=Message.Status.QUEUED,
        scheduled_at=timezone.now() + delay,
        claim_token=None,
        claimed_at=None,
        handed_over_at=None,
        error_code=error.code,
        error=error.reason,
    ):
        return "claim_lost"
    message.refresh_from_db()
    states.retry_planned(message)
    return "retry"


@transaction.atomic
def _finish_uncertain(message: Message, token: uuid.UUID, error: TransportError) -> str:
    if not _owned(message, token).update(
        status=Message.Status.UNCERTAIN, error_code=error.code, error=error.reason, failed_at=timezone.now()
    ):
        return "claim_lost"
    message.refresh_from_db()
    states.uncertain(message)
    return "uncertain"


def recover_stalled(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Deal with claims of dead workers and queued messages whose task was lost (housekeeping)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.MESSAGING_SEND_LEASE)
    counts = {"requeued": 0, "uncertain": 0, "announced": 0}
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - lease)
    for pk, handed_over in stale.values_list("pk", "handed_over_at")[:500]:
        with transaction.atomic():
            if handed_over is None:
                # The server never got the data: sending again cannot duplicate it.
                changed = Message.objects.filter(
                    pk=pk, status=Message.Status.SENDING, handed_over_at=None
                ).update(status=Message.Status.QUEUED, claim_token=None, claimed_at=None, scheduled_at=now)
                if changed:
                    states.requeued(Message.objects.get(pk=pk))
                    counts["requeued"] += 1
            else:
                changed = (
                    Message.objects.filter(pk=pk, status=Message.Status.SENDING)
                    .exclude(handed_over_at=None)
                    .update(
                        status=Message.Status.UNCERTAIN,
                        failed_at=now,
                        error_code="interrupted",
                        error="The worker stopped while the server was receiving the message; "
                        "it may have been delivered, so it is not sent again automatically.",
                    )
                )
                if changed:
                    states.uncertain(Message.objects.get(pk=pk))
                    counts["uncertain"] += 1
    forgotten = Message.objects.filter(status=Message.Status.QUEUED, scheduled_at__lt=now - lease)
    for pk in forgotten.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            # Moving scheduled_at forward announces each forgotten message once per lease.
            if Message.objects.filter(
                pk=pk, status=Message.Status.QUEUED, scheduled_at__lt=now - lease
            ).update(scheduled_at=now):
                states.requeued(Message.objects.get(pk=pk))
                counts["announced"] += 1
    if any(counts.values()):
        logger.warning("messaging housekeeping: %s", counts)
    return counts
