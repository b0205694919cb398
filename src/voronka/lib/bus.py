"""Publish/subscribe for domain events, delivered after the transaction commits.

Services publish; apps subscribe in AppConfig.ready(). A rollback publishes
nothing, and a subscriber never sees rows that may still disappear.
Subscribers must be quick: they enqueue tasks and return.

A bulk write (an import batch, a bulk API request) publishes thousands of events on one commit
with `publish_many`; a subscriber registered with `batch=True` then gets them in one call, as a
list in the order published (a single `publish` hands it a list of one), so that it can do its
checks once per commit instead of once per event.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.db import transaction

Handler = Callable[[Any], None]
_subscribers: defaultdict[type, list[Handler]] = defaultdict(list)
_batch_handlers: set[Handler] = set()


def subscribe(event_type: type, *, batch: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated function for events of `event_type` (with `batch`, it takes a list)."""

    def register(handler: Handler) -> Handler:
        if handler not in _subscribers[event_type]:
            _subscribers[event_type].append(handler)
        if batch:
            _batch_handlers.add(handler)
        return handler

    return register


def subscribers(event_type: type) -> list[Handler]:
    """Return the handlers registered for `event_type` (for diagnostics and tests)."""
    return list(_subscribers[event_type])


def publish(event: object) -> None:
    """Deliver `event` to its subscribers once the current transaction commits."""
    for handler in _subscribers[type(event)]:
        # robust: a failing subscriber is logged and cannot undo a committed request.
        argument = [event] if handler in _batch_handlers else event
        transaction.on_commit(partial(handler, argument), robust=True)


def publish_many(events: Iterable[object]) -> None:
    """Deliver `events` once the current transaction commits: each subscriber sees them in order.

    A batch subscriber gets all of its events in one call; any other gets one call per event.
    """
    found: dict[Handler, list[object]] = {}
    for event in events:
        for handler in _subscribers[type(event)]:
            listed = found.get(handler)
            if listed is None:
                found[handler] = [event]
            else:
                listed.append(event)
    for handler, listed in found.items():
        if handler in _batch_handlers:
            transaction.on_commit(partial(handler, listed), robust=True)
        else:
            for event in listed:
                transaction.on_commit(partial(handler, event), robust=True)
