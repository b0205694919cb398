"""Safety nets the task worker runs (voronka.lib.housekeeping): work whose process or task was lost.

- a request stored but never routed (the web process died between storing and routing) is
  routed after STALLED; routing locks the row and skips routed ones, so this is idempotent;
- a chat reply still queued after STALLED (its task was lost) is announced again; sending
  claims it, so it still goes out at most once;
- an IMAP mailbox whose poll chain stopped (no poll for three intervals) is scheduled again.
"""

import datetime as dt

from django.utils import timezone

from voronka.intake import events
from voronka.intake.models import ChatMessage, IntakeRequest
from voronka.intake.services import imap
from voronka.intake.services.channels import schedule_polling
from voronka.intake.services.routing import route_request
from voronka.lib import bus

STALLED = dt.timedelta(minutes=2)
BATCH = 100


def route_stalled() -> int:
    """Route requests left received for longer than STALLED; return how many were tried."""
    cutoff = timezone.now() - STALLED
    ids = list(
        IntakeRequest.objects.filter(status=IntakeRequest.Status.RECEIVED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    for request_id in ids:
        route_request(request_id)
    return len(ids)


def announce_stalled_replies() -> int:
    """Queue again the chat replies whose sending task was lost."""
    cutoff = timezone.now() - STALLED
    stalled = ChatMessage.objects.filter(
        direction=ChatMessage.Direction.OUT, status=ChatMessage.Status.QUEUED, created_at__lt=cutoff
    ).values_list("pk", "conversation_id")[:BATCH]
    for message_id, conversation_id in stalled:
        bus.publish(events.ChatReplyQueued(message_id=message_id, conversation_id=conversation_id))
    return len(stalled)


def restart_stopped_polls() -> int:
    """Schedule again the mailboxes whose poll chain stopped."""
    now = timezone.now()
    restarted = 0
    for channel in imap.mailboxes():
        if channel.next_poll_at is None or channel.next_poll_at < now - 3 * imap.interval_of(channel):
            schedule_polling(channel, at=now)
            restarted += 1
    return restarted
