"""The events a subscription may receive: catalogue name → event class, and their payloads.

Later apps add theirs with `register()` (activity.*, message.*, form.submitted…) from their
own catalogue entry here, since webhooks sit above them in the layers.
"""

import dataclasses
from typing import Any

from voronka.crm import events as crm_events

EVENTS: dict[str, type] = {}


def register(name: str, event_type: type) -> None:
    """Add an event class to the catalogue under its documented name."""
    EVENTS[name] = event_type


def name_of(event_type: type) -> str | None:
    """Return the catalogue name of an event class."""
    return next((name for name, known in EVENTS.items() if known is event_type), None)


def payload(event: object) -> dict[str, Any]:
    """Return the event's fields (ids only) as JSON-friendly data."""
    data = dataclasses.asdict(event)  # type: ignore[call-overload]
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


for _name, _type in (
    ("item.created", crm_events.ItemCreated),
    ("item.updated", crm_events.ItemUpdated),
    ("item.deleted", crm_events.ItemDeleted),
    ("item.restored", crm_events.ItemRestored),
    ("item.stage_changed", crm_events.StageChanged),
    ("item.merged", crm_events.ItemsMerged),
    ("lead.converted", crm_events.LeadConverted),
    ("timeline.comment_added", crm_events.CommentAdded),
    ("request.received", crm_events.RequestReceived),
    ("crm.mode_changed", crm_events.ModeChanged),
):
    register(_name, _type)
