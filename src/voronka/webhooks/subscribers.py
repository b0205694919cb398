"""Hearing the events of the lower apps: each wanted event is queued for delivery.

Subscribers run after the publishing transaction commits and only enqueue: the
fan-out and the HTTP requests happen in tasks.
"""

import uuid

from django.utils import timezone

from voronka.lib import bus
from voronka.webhooks import catalogue, selectors
from voronka.webhooks.tasks import dispatch_event


def queue_event(event: object) -> None:
    """Queue an event of the catalogue for the subscriptions that want it."""
    name = catalogue.name_of(type(event))
    if name is None or not selectors.is_wanted(name):
        return
    dispatch_event.enqueue(
        event=name,
        event_id=str(uuid.uuid4()),
        occurred_at=timezone.now().isoformat(),
        data=catalogue.payload(event),
    )


def subscribe_all() -> None:
    """Subscribe to every event of the catalogue (called from AppConfig.ready)."""
    for event_type in catalogue.EVENTS.values():
        bus.subscribe(event_type)(queue_event)
