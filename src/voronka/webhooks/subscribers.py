"""Hearing the events of the lower apps: each wanted event is queued for delivery.

Subscribers run after the publishing transaction commits and only enqueue: the
fan-out and the HTTP requests happen in tasks.
"""

import logging
import uuid

from django.utils import timezone

from voronka.lib import bus
from voronka.webhooks import catalogue, selectors
from voronka.webhooks.tasks import dispatch_event

logger = logging.getLogger(__name__)


def queue_event(events: list[object]) -> None:
    """Queue the events of the catalogue that a subscription wants (one check per event name)."""
    wanted: dict[type, str | None] = {}
    for event in events:
        kind = type(event)
        if kind not in wanted:
            name = catalogue.name_of(kind)
            wanted[kind] = name if name is not None and selectors.is_wanted(name) else None
        name = wanted[kind]
        if name is None:
            continue
        try:
            dispatch_event.enqueue(
                event=name,
                event_id=str(uuid.uuid4()),
                occurred_at=timezone.now().isoformat(),
                data=catalogue.payload(event),
            )
        except Exception:  # as robust on_commit per event: one failure must not drop the rest
            logger.exception("Queueing the webhook event %s failed.", event)


def subscribe_all() -> None:
    """Subscribe to every event of the catalogue (called from AppConfig.ready)."""
    for event_type in catalogue.EVENTS.values():
        bus.subscribe(event_type, batch=True)(queue_event)
