"""The event bus: delivery after commit, one call per event or one call per commit for batch subscribers."""

from dataclasses import dataclass

import pytest

from voronka.lib import bus

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Pinged:
    n: int


@dataclass(frozen=True)
class Ponged:
    n: int


@pytest.fixture
def heard(monkeypatch):
    """A plain and a batch subscriber of Pinged and Ponged, on a bus of their own."""
    monkeypatch.setattr(bus, "_subscribers", type(bus._subscribers)(list))
    monkeypatch.setattr(bus, "_batch_handlers", set())
    calls: list[tuple[str, object]] = []

    def plain(event):
        calls.append(("plain", event))

    def batch(events):
        calls.append(("batch", list(events)))

    for event_type in (Pinged, Ponged):
        bus.subscribe(event_type)(plain)
        bus.subscribe(event_type, batch=True)(batch)
    return calls


def test_publish_many_gives_a_batch_subscriber_one_call_and_a_plain_one_a_call_per_event(
    heard, django_capture_on_commit_callbacks
):
    events = [Pinged(1), Ponged(2), Pinged(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bus.publish_many(events)

    assert len(callbacks) == 4
    assert [call for call in heard if call[0] == "plain"] == [("plain", e) for e in events]
    assert [call for call in heard if call[0] == "batch"] == [("batch", events)]


def test_publish_gives_a_batch_subscriber_a_list_of_one(heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bus.publish(Pinged(1))

    assert heard == [("plain", Pinged(1)), ("batch", [Pinged(1)])]


def test_nothing_is_delivered_before_the_commit(heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        bus.publish_many([Pinged(1)])

    assert heard == [] and len(callbacks) == 2
