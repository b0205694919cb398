"""Reactions of messaging to events (registered in MessagingConfig.ready()); they only enqueue."""

from django.utils import timezone

from voronka.lib import bus
from voronka.messaging import events, tasks
from voronka.messaging.models import Message


@bus.subscribe(events.MessageQueued)
def enqueue_sending(event: events.MessageQueued) -> None:
    """Queue the sending of a message, at its time when it is scheduled for later."""
    when = Message.objects.filter(pk=event.message_id).values_list("scheduled_at", flat=True).first()
    task = tasks.send_message
    if when is not None and when > timezone.now() and task.get_backend().supports_defer:
        task = task.using(run_after=when)
    task.enqueue(message_id=event.message_id)
