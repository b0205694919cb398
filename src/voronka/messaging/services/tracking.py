"""Opens, clicks and SMS delivery reports.

Rules enforced here:
- only a validly signed token counts; a click redirects only to a link that was in the message;
- the first open (click) of a message by its recipient is recorded once — a unique
  (message, kind) row taken with get_or_create — and published once as message.opened
  (message.clicked); later ones only add to the counters;
- an open proves delivery: an "uncertain" message that is opened becomes "sent".
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from voronka.messaging import selectors, tracking
from voronka.messaging.models import Message, TrackingEvent
from voronka.messaging.services import states


@transaction.atomic
def record_open(token: str, *, ip: str | None = None, user_agent: str = "") -> Message | None:
    """Count an open of the message the pixel token names; None for a bad token."""
    public_id = tracking.read_open_token(token)
    message = selectors.get_by_public_id(public_id) if public_id else None
    if message is None:
        return None
    _first(message, TrackingEvent.Kind.OPENED, ip=ip, user_agent=user_agent, url="")
    return message


@transaction.atomic
def record_click(token: str, *, ip: str | None = None, user_agent: str = "") -> str | None:
    """Count a click and return the link to go to; None for a bad token or an unknown link."""
    parsed = tracking.read_click_token(token)
    message = selectors.get_by_public_id(parsed[0]) if parsed else None
    if message is None or not 0 <= parsed[1] < len(message.links):
        return None
    url = message.links[parsed[1]]
    _first(message, TrackingEvent.Kind.CLICKED, ip=ip, user_agent=user_agent, url=url)
    return url


def _first(message: Message, kind: str, *, ip, user_agent: str, url: str) -> None:
    now = timezone.now()
    _event, created = TrackingEvent.objects.get_or_create(
        message=message,
        kind=kind,
        defaults={"at": now, "ip": ip or None, "user_agent": (user_agent or "")[:300], "url": url[:2000]},
    )
    counter = "open_count" if kind == TrackingEvent.Kind.OPENED else "click_count"
    first_at = "opened_at" if kind == TrackingEvent.Kind.OPENED else "clicked_at"
    Message.objects.filter(pk=message.pk).update(**{counter: F(counter) + 1})
    if not created:
        return
    changes = {first_at: now}
    if message.status == Message.Status.UNCERTAIN:
        changes.update(status=Message.Status.SENT, sent_at=now)
    Message.objects.filter(pk=message.pk).update(**changes)
    if kind == TrackingEvent.Kind.OPENED:
        states.opened(message)
    else:
        states.clicked(message, url)


@transaction.atomic
def record_sms_status(*, provider_id: str, delivered: bool, reason: str = "") -> Message | None:
    """Apply an SMS gateway's delivery report; None when no message has that gateway id."""
    message = Message.objects.filter(provider_id=provider_id, channel="sms").exclude(provider_id="").first()
    if message is None:
        return None
    if delivered:
        if Message.objects.filter(pk=message.pk, delivered_at=None).update(
            status=Message.Status.DELIVERED, delivered_at=timezone.now()
        ):
            message.refresh_from_db()
            states.delivered(message)
    elif (
        Message.objects.filter(pk=message.pk)
        .exclude(status=Message.Status.FAILED)
        .update(
            status=Message.Status.FAILED,
            failed_at=timezone.now(),
            error_code="undelivered",
            error=reason[:2000],
        )
    ):
        message.refresh_from_db()
        states.failed(message)
    return message
