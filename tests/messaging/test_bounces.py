"""Bounces reported by inbound mail: only sent e-mails bounce, and only once."""

import pytest

from voronka.crm.services.leads import create_lead
from voronka.messaging.events import MessageFailed
from voronka.messaging.models import Message
from voronka.messaging.services.bounces import record_bounce

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(manager):
    return create_lead(actor=manager, first_name="Pavel", emails=["pavel@client.ru"])


def message(lead, status, message_id):
    return Message.objects.create(
        lead=lead, channel="email", status=status, message_id=message_id, to="pavel@client.ru"
    )


def test_a_sent_message_bounces_once(lead, published):
    sent = message(lead, "sent", "<a@x.ru>")
    first = record_bounce(["<a@x.ru>"], reason="550 no such user")
    second = record_bounce(["<a@x.ru>"], reason="550 no such user")
    sent.refresh_from_db()
    assert first == [sent] and second == []
    assert (sent.status, sent.is_bounce, sent.error) == ("failed", True, "550 no such user")
    assert len([e for e in published if isinstance(e, MessageFailed)]) == 1


def test_a_queued_message_or_an_unknown_id_does_not_bounce(lead, published):
    queued = message(lead, "queued", "<q@x.ru>")
    assert record_bounce(["<q@x.ru>", "<unknown@x.ru>", ""], reason="x") == []
    queued.refresh_from_db()
    assert queued.status == "queued" and not queued.is_bounce
    assert published == []
