"""Chats: Telegram updates at the webhook, the conversation thread, replies through a fake Bot API."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from voronka.crm.models import Lead
from voronka.intake.events import ChatReceived
from voronka.intake.models import ChatMessage, Conversation, IntakeRequest
from voronka.intake.services.chats import reply
from voronka.lib.errors import NotFound

pytestmark = pytest.mark.django_db


def update(update_id, text, *, chat_id=5551, **extra):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "from": {
                "id": chat_id,
                "is_bot": False,
                "first_name": "Masha",
                "last_name": "Petrova",
                "username": "masha_p",
            },
            "chat": {"id": chat_id, "type": "private"},
            "date": 1767000000,
            "text": text,
            **extra,
        },
    }


def post_update(client, channel, body, secret=None):
    return client.post(
        f"/intake/telegram/{channel.pk}/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": channel.token if secret is None else secret},
    )


def test_telegram_messages_make_one_lead_with_a_chat_thread(client, telegram_channel, published):
    # when
    first = post_update(client, telegram_channel, update(1, "Hello, do you deliver pumps?"))
    second = post_update(client, telegram_channel, update(2, "To Kazan"))

    # then
    assert first.status_code == second.status_code == 200
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Masha", "Petrova")
    assert lead.communications.filter(kind="messenger", normalized="masha_p").exists()
    chat = list(lead.timeline.filter(kind="chat").order_by("pk").values_list("text", flat=True))
    assert chat == ["Hello, do you deliver pumps?", "To Kazan"]
    conversation = Conversation.objects.get()
    assert (conversation.item_kind, conversation.item_id) == ("lead", lead.pk)
    assert conversation.messages.count() == 2
    assert second.json()["outcome"] == "thread_reply"
    received = [e for e in published if isinstance(e, ChatReceived)]
    assert [(e.kind, e.item_id, e.outcome) for e in received] == [
        ("lead", lead.pk, "lead_created"),
        ("lead", lead.pk, "thread_reply"),
    ]


def test_a_shared_phone_number_is_kept_on_the_lead(client, telegram_channel):
    post_update(
        client,
        telegram_channel,
        update(1, "", contact={"phone_number": "+79031234567", "first_name": "Masha"}),
    )
    assert Lead.objects.get().communications.filter(kind="phone", normalized="+79031234567").exists()


def test_a_redelivered_update_is_not_routed_twice(client, telegram_channel):
    post_update(client, telegram_channel, update(7, "Hi"))
    again = post_update(client, telegram_channel, update(7, "Hi"))
    assert again.json()["duplicate"] is True
    assert IntakeRequest.objects.count() == 1 and ChatMessage.objects.count() == 1


def test_a_wrong_secret_token_is_refused(client, telegram_channel):
    response = post_update(client, telegram_channel, update(1, "Hi"), secret="nope")
    missing = client.post(
        f"/intake/telegram/{telegram_channel.pk}/", data="{}", content_type="application/json"
    )
    assert response.status_code == missing.status_code == 401
    assert not IntakeRequest.objects.exists()


def test_an_update_without_a_message_is_stored_as_ignored(client, telegram_channel):
    response = post_update(client, telegram_channel, {"update_id": 9, "callback_query": {"id": "1"}})
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Lead.objects.exists()


def test_not_an_update_is_a_clear_refusal(client, telegram_channel):
    response = post_update(client, telegram_channel, {"hello": "world"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "chat.bad_update"


def test_the_generic_chat_webhook(client, chat_channel):
    body = {
        "conversation_id": "w-42",
        "message_id": "m1",
        "name": "Oleg Sidorov",
        "email": "oleg@x.ru",
        "text": "Price?",
    }
    response = client.post(
        "/intake/chat/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Voronka-Token": chat_channel.token},
    )
    bad = client.post(
        "/intake/chat/",
        data=json.dumps({"text": ""}),
        content_type="application/json",
        headers={"X-Voronka-Token": chat_channel.token},
    )
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.first_name == "Oleg" and lead.timeline.get(kind="chat").text == "Price?"
    assert bad.status_code == 422 and set(bad.json()["error"]["details"]) == {"conversation_id", "text"}


class FakeBotApi(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeBotApi.received.append((self.path, body))
        if "chat_id" in body:
            answer = {
                "ok": True,
                "result": {"message_id": 777, "chat": {"id": body["chat_id"]}, "text": body["text"]},
            }
        else:
            answer = {"message_id": "widget-1"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def bot_api(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeBotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeBotApi.received = []
    settings.TELEGRAM_API_URL = f"http://127.0.0.1:{server.server_port}"
    yield FakeBotApi
    server.shutdown()


def test_a_reply_typed_on_the_item_goes_back_through_the_bot_api(
    client, telegram_channel, manager, bot_api, settings, django_capture_on_commit_callbacks
):
    # given
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    post_update(client, telegram_channel, update(1, "Hello"))
    conversation = Conversation.objects.get()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(conversation, text="Yes, we deliver to Kazan", actor=manager)

    # then
    message.refresh_from_db()
    assert message.status == "sent" and message.external_id == "777"
    assert bot_api.received == [
        ("/bot123:ABC/sendMessage", {"chat_id": "5551", "text": "Yes, we deliver to Kazan"})
    ]
    lead = Lead.objects.get()
    out = lead.timeline.filter(kind="chat", data__direction="out").get()
    assert out.text == "Yes, we deliver to Kazan" and out.actor == manager


def test_a_reply_is_sent_at_most_once(client, telegram_channel, manager, bot_api):
    from voronka.intake.services.chats import send_reply

    post_update(client, telegram_channel, update(1, "Hello"))
    message = reply(Conversation.objects.get(), text="Once", actor=manager)
    send_reply(message.pk)
    send_reply(message.pk)
    assert len(bot_api.received) == 1


def test_a_failed_send_keeps_the_reason(client, telegram_channel, manager, settings):
    from voronka.intake.services.chats import send_reply

    settings.TELEGRAM_API_URL = "http://127.0.0.1:9"  # nothing listens there
    post_update(client, telegram_channel, update(1, "Hello"))
    message = send_reply(reply(Conversation.objects.get(), text="Lost?", actor=manager).pk)
    assert message.status == "failed" and message.error


def test_only_people_who_see_the_item_may_reply(client, telegram_channel, outsider):
    post_update(client, telegram_channel, update(1, "Hello"))
    with pytest.raises(NotFound):
        reply(Conversation.objects.get(), text="Hi", actor=outsider)
    assert not ChatMessage.objects.filter(direction="out").exists()


def test_a_reply_in_a_generic_chat_is_posted_to_the_channels_reply_url(
    client, admin, chat_channel, manager, bot_api
):
    from voronka.intake.services.channels import update_channel
    from voronka.intake.services.chats import send_reply

    # given: the widget's bridge listens on 127.0.0.1 (the fake server answers any POST)
    update_channel(chat_channel, actor=admin, config={"reply_url": f"{bot_api_url(bot_api)}/widget/reply"})
    body = {"conversation_id": "w-7", "message_id": "m1", "name": "Oleg", "text": "Price?", "email": "o@x.ru"}
    client.post(
        "/intake/chat/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-Voronka-Token": chat_channel.token},
    )

    # when
    message = send_reply(reply(Conversation.objects.get(), text="1200 rubles", actor=manager).pk)

    # then
    path, posted = bot_api.received[0]
    assert path == "/widget/reply"
    assert (
        posted["conversation_id"] == "w-7"
        and posted["text"] == "1200 rubles"
        and posted["token"] == chat_channel.token
    )
    assert message.status == "sent", message.error


def bot_api_url(api) -> str:
    from django.conf import settings

    return settings.TELEGRAM_API_URL
