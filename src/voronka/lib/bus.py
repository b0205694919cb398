"""Publish/subscribe for domain events, delivered after the transaction commits.

Services publish; apps subscribe in AppConfig.ready(). A rollback publishes
nothing, and a subscriber never sees rows that may still disappear.
Subscribers must be quick: they enqueue tasks and return.
"""

from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

Handler = Callable[[Any], None]
_subscribers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type) -> Callable[[Handler], Handler]:
    """Register the decorated function for events of `event_type`."""

    def register(handler: Handler) -> Handler:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        return handler

    return register


def subscribers(event_type: type) -> list[Handler]:
    """Return the handlers registered for `event_type` (for diagnostics and tests)."""
    return list(_subscribers[event_type])


def publish(event: object) -> None:
    """Deliver `event` to its subscribers once the current transaction commits."""
    for handler in _subscribers[type(event)]:
        # robust: a failing subscriber is logged and cannot undo a committed request.
        transaction.on_commit(partial(handler, event), robust=True)
