"""Bounces reported by inbound mail (a delivery-status report naming a message we sent).

Rules enforced here:
- only a message that left us (sent, delivered or uncertain) can bounce; it becomes failed with
  `is_bounce`, the report's reason, on the item's timeline and as message.failed;
- the change is a conditional UPDATE, so a report delivered twice records one bounce.
"""

from django.db import transaction
from django.utils import timezone

from voronka.messaging.models import Message
from voronka.messaging.services import states

BOUNCEABLE = (Message.Status.SENT, Message.Status.DELIVERED, Message.Status.UNCERTAIN)


@transaction.atomic
def record_bounce(message_ids: list[str], *, reason: str) -> list[Message]:
    """Mark the sent e-mails with these Message-IDs as bounced; return those that changed."""
    bounced = []
    ids = [value for value in message_ids if value][:50]
    for message in Message.objects.filter(message_id__in=ids, channel="email").order_by("pk"):
        changed = Message.objects.filter(pk=message.pk, status__in=BOUNCEABLE).update(
            status=Message.Status.FAILED,
            failed_at=timezone.now(),
            is_bounce=True,
            error_code="bounce",
            error=reason[:2000],
        )
        if changed:
            message.refresh_from_db()
            states.failed(message)
            bounced.append(message)
    return bounced
