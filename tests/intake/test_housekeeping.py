"""The worker's safety nets for intake: stalled requests, lost reply tasks, stopped mailbox polls."""

import datetime as dt

import pytest
from django.utils import timezone

from voronka.intake.events import ChatReplyQueued, MailboxPollScheduled
from voronka.intake.models import IntakeRequest
from voronka.intake.services.housekeeping import (
    announce_stalled_replies,
    restart_stopped_polls,
    route_stalled,
)
from voronka.intake.services.requests import store_request
from voronka.lib import housekeeping

pytestmark = pytest.mark.django_db


def test_the_intake_jobs_are_registered():
    assert {"intake.route_stalled", "intake.stalled_replies", "intake.restart_polls"} <= set(
        housekeeping.jobs()
    )


def test_a_request_left_received_is_routed_by_housekeeping(form_channel):
    # given: one stored three minutes ago and never routed, one just stored (its request is routing it)
    old, _new = store_request(form_channel, payload={"first_name": "Old", "phones": ["+79031112233"]})
    IntakeRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(minutes=3))
    fresh, _new = store_request(form_channel, payload={"first_name": "Fresh", "phones": ["+79031112244"]})

    # when
    tried = route_stalled()

    # then
    assert tried == 1
    assert IntakeRequest.objects.get(pk=old.pk).status == "routed"
    assert IntakeRequest.objects.get(pk=fresh.pk).status == "received"


def test_a_reply_whose_task_was_lost_is_announced_again(client, telegram_channel, manager, published):
    import json

    from voronka.intake.models import ChatMessage, Conversation
    from voronka.intake.services.chats import reply

    update = {
        "update_id": 1,
        "message": {"message_id": 1, "from": {"id": 3, "first_name": "A"}, "chat": {"id": 3}, "text": "Hi"},
    }
    client.post(
        f"/intake/telegram/{telegram_channel.pk}/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": telegram_channel.token},
    )
    message = reply(Conversation.objects.get(), text="Hello", actor=manager)
    ChatMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    published.clear()
    assert announce_stalled_replies() == 1
    assert published == [ChatReplyQueued(message_id=message.pk, conversation_id=message.conversation_id)]


def test_a_stopped_poll_chain_is_scheduled_again(admin, mail_channel, published):
    from voronka.intake.models import Channel
    from voronka.intake.services.channels import update_channel

    update_channel(
        mail_channel, actor=admin, config={"imap": {"host": "h", "username": "u", "password": "p"}}
    )
    Channel.objects.filter(pk=mail_channel.pk).update(next_poll_at=timezone.now() - dt.timedelta(hours=1))
    published.clear()
    assert restart_stopped_polls() == 1
    assert restart_stopped_polls() == 0
    assert [type(e) for e in published] == [MailboxPollScheduled]
