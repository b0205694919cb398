"""The intake pages: channel settings, logs, the unrouted list with retry, the form builder, chats."""

import json

import pytest

from voronka.intake.models import Channel, IntakeRequest
from voronka.intake.services.requests import store_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_the_channel_list_shows_channels_and_their_unrouted_count(admin_client, form_channel, phone_channel):
    store_request(phone_channel, payload={})
    response = admin_client.get("/intake/channels/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Site form" in page and "PBX" in page


def test_managers_may_not_configure_channels(client, manager, form_channel):
    client.force_login(manager)
    assert client.get("/intake/channels/").status_code == 403
    assert client.get(f"/intake/channels/{form_channel.pk}/").status_code == 403


def test_creating_a_channel_and_changing_its_rule(admin_client, manager, colleague):
    response = admin_client.post("/intake/channels/new/", {"kind": "telephony", "name": "Office PBX"})
    channel = Channel.objects.get(name="Office PBX")
    assert response.status_code == 302
    response = admin_client.post(
        f"/intake/channels/{channel.pk}/",
        {
            "name": "Office PBX",
            "is_active": "on",
            "rule": "round_robin",
            "queue": [manager.pk, colleague.pk],
            "operators": f"101={manager.username}\n102=nobody",
            "addresses": "",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.rule == "round_robin"
    assert list(channel.queue.values_list("user_id", flat=True)) == [manager.pk, colleague.pk]
    assert channel.config["operators"] == {"101": manager.pk}


def test_a_channels_log_shows_what_each_request_became(admin_client, client, phone_channel):
    event = {"call_id": "x1", "from": "+79031234567", "status": "missed"}
    client.post(
        "/intake/telephony/",
        data=json.dumps(event),
        content_type="application/json",
        headers={"X-Voronka-Token": phone_channel.token},
    )
    page = admin_client.get(f"/intake/channels/{phone_channel.pk}/").content.decode()
    row = IntakeRequest.objects.get()
    assert f"lead #{row.item_id}" in page and "lead_created" in page


def test_the_unrouted_list_retries_a_failed_request(admin_client, form_channel):
    from voronka.intake.services.routing import route_request

    row, _new = store_request(form_channel, payload={"message": "no contact"})
    route_request(row.pk)
    page = admin_client.get("/intake/unrouted/").content.decode()
    assert "request.no_contact_data" in page
    IntakeRequest.objects.filter(pk=row.pk).update(payload={"phones": ["+79031112233"], "data": {}})
    response = admin_client.post(f"/intake/requests/{row.pk}/retry/")
    assert response.status_code == 302
    assert IntakeRequest.objects.get(pk=row.pk).status == "routed"


def test_the_form_builder_saves_fields_and_shows_the_embed_code(admin_client, form_channel):
    form = form_channel.form
    data = {
        "f-TOTAL_FORMS": "2",
        "f-INITIAL_FORMS": "0",
        "f-0-name": "fio",
        "f-0-label": "Full name",
        "f-0-type": "text",
        "f-0-target": "first_name",
        "f-0-required": "on",
        "f-1-name": "tel",
        "f-1-label": "Phone",
        "f-1-type": "tel",
        "f-1-target": "phone",
        "s-title": "Callback",
        "s-honeypot_field": "website",
        "s-max_attachment_size": "1000000",
        "s-max_attachments": "2",
        "s-rate_limit": "5",
        "s-allowed_origins": "https://shop.example",
    }
    response = admin_client.post(f"/intake/channels/{form_channel.pk}/form/", data)
    assert response.status_code == 302
    form.refresh_from_db()
    assert [f["name"] for f in form.fields] == ["fio", "tel"] and form.fields[0]["required"]
    page = admin_client.get(f"/intake/channels/{form_channel.pk}/form/").content.decode()
    assert f"data-voronka-form=&quot;{form.key}&quot;" in page and "/f/embed.js" in page


def test_the_form_builder_reports_a_bad_origin(admin_client, form_channel):
    data = {
        "f-TOTAL_FORMS": "1",
        "f-INITIAL_FORMS": "0",
        "f-0-name": "tel",
        "f-0-label": "Phone",
        "f-0-type": "tel",
        "f-0-target": "phone",
        "s-honeypot_field": "website",
        "s-max_attachment_size": "1000000",
        "s-max_attachments": "2",
        "s-rate_limit": "5",
        "s-allowed_origins": "shop.example/path",
    }
    response = admin_client.post(f"/intake/channels/{form_channel.pk}/form/", data)
    assert response.status_code == 422 and "is not an origin" in response.content.decode()


def test_a_conversation_page_shows_the_thread_and_sends_a_reply(client, manager, outsider, telegram_channel):
    from voronka.intake.models import ChatMessage, Conversation

    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "from": {"id": 9, "first_name": "Lena"},
            "chat": {"id": 9},
            "text": "Hi!",
        },
    }
    client.post(
        f"/intake/telegram/{telegram_channel.pk}/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": telegram_channel.token},
    )
    chat = Conversation.objects.get()
    client.force_login(outsider)
    assert client.get(f"/intake/conversations/{chat.pk}/").status_code == 404
    client.force_login(manager)
    assert "Hi!" in client.get(f"/intake/conversations/{chat.pk}/").content.decode()
    response = client.post(f"/intake/conversations/{chat.pk}/", {"text": "Hello Lena"})
    assert response.status_code == 302
    assert ChatMessage.objects.filter(direction="out", text="Hello Lena", status="queued").exists()


def test_the_items_page_links_chat_entries_to_their_thread(client, manager, telegram_channel):
    from voronka.intake.models import Conversation

    update = {
        "update_id": 5,
        "message": {
            "message_id": 5,
            "from": {"id": 8, "first_name": "Zoya"},
            "chat": {"id": 8},
            "text": "Is it in stock?",
        },
    }
    client.post(
        f"/intake/telegram/{telegram_channel.pk}/",
        data=json.dumps(update),
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": telegram_channel.token},
    )
    chat = Conversation.objects.get()
    client.force_login(manager)
    page = client.get(f"/activities/lead/{chat.item_id}/").content.decode()
    assert "Is it in stock?" in page and f"/intake/conversations/{chat.pk}/" in page
