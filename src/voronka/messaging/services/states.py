"""A message's state changes on the item's timeline (kind "message") and as events."""

from typing import Any

from voronka.crm.models import TimelineEntry
from voronka.crm.services import timeline
from voronka.lib import bus
from voronka.messaging import events
from voronka.messaging.models import Message


def _ids(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.pk,
        "channel": message.channel,
        "kind": message.item_kind,
        "item_id": message.item.pk,
    }


def record(message: Message, state: str, *, actor=None, **extra: Any) -> None:
    """Append the message's new state to its item's timeline."""
    timeline.record(
        message.item,
        kind=TimelineEntry.Kind.MESSAGE,
        actor=actor,
        text=message.subject or message.body_text[:500],
        data={
            "state": state,
            "message_id": message.pk,
            "channel": message.channel,
            "to": message.to,
            "subject": message.subject,
            **extra,
        },
    )


def queued(message: Message, *, actor=None, note: str = "") -> None:
    record(message, Message.Status.QUEUED, actor=actor, **({"note": note} if note else {}))
    bus.publish(events.MessageQueued(**_ids(message)))


def requeued(message: Message) -> None:
    """Tell the worker again about a message whose task was lost (no timeline line)."""
    bus.publish(events.MessageQueued(**_ids(message)))


def sent(message: Message) -> None:
    record(message, Message.Status.SENT)
    bus.publish(events.MessageSent(**_ids(message)))


def delivered(message: Message) -> None:
    record(message, Message.Status.DELIVERED)
    bus.publish(events.MessageDelivered(**_ids(message)))


def failed(message: Message) -> None:
    record(
        message, Message.Status.FAILED, code=message.error_code, error=message.error, bounce=message.is_bounce
    )
    bus.publish(events.MessageFailed(**_ids(message), code=message.error_code, is_bounce=message.is_bounce))


def retry_planned(message: Message) -> None:
    record(
        message, "retry", code=message.error_code, error=message.error, at=message.scheduled_at.isoformat()
    )
    bus.publish(events.MessageQueued(**_ids(message)))


def uncertain(message: Message) -> None:
    record(message, Message.Status.UNCERTAIN, error=message.error)


def opened(message: Message) -> None:
    record(message, "opened")
    bus.publish(events.MessageOpened(**_ids(message)))


def clicked(message: Message, url: str) -> None:
    record(message, "clicked", url=url)
    bus.publish(events.MessageClicked(**_ids(message), url=url))
