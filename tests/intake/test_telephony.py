"""Calls over HTTP: the telephony webhook, its activities, idempotency, tokens, and "who is calling"."""

import datetime as dt
import json

import pytest

from voronka.activities.models import Activity
from voronka.crm.models import Lead
from voronka.crm.services.clients import create_contact
from voronka.crm.services.deals import create_deal
from voronka.intake.events import CallReceived
from voronka.intake.models import IntakeRequest

pytestmark = pytest.mark.django_db


def call(client, channel, token=None, **fields):
    event = {
        "call_id": "c-1",
        "direction": "incoming",
        "from": "+7 903 123-45-67",
        "to": "+74950000000",
        "status": "answered",
        "started_at": "2026-01-20T10:15:00+03:00",
        "duration": 125,
        "recording_url": "https://pbx.example/rec/c-1.mp3",
        "operator": "101",
        **fields,
    }
    return client.post(
        "/intake/telephony/",
        data=json.dumps(event),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token or channel.token}"},
    )


def test_an_answered_call_creates_a_lead_and_a_completed_call_activity(
    client, phone_channel, manager, published
):
    # when
    response = call(client, phone_channel)

    # then
    assert response.status_code == 200
    body = response.json()
    lead = Lead.objects.get()
    assert body["item"] == {"kind": "lead", "id": lead.pk} and body["outcome"] == "lead_created"
    activity = Activity.objects.get()
    assert activity.lead == lead and activity.is_done and activity.kind == "call"
    assert activity.direction == "incoming" and activity.assigned_to == manager
    assert activity.duration == dt.timedelta(seconds=125)
    assert activity.data["recording_url"] == "https://pbx.example/rec/c-1.mp3"
    assert json.loads(bytes(IntakeRequest.objects.get().raw))["call_id"] == "c-1"  # the raw body is kept
    assert lead.timeline.filter(kind="call").count() == 1
    event = next(e for e in published if isinstance(e, CallReceived))
    assert (event.kind, event.item_id, event.status, event.activity_id) == (
        "lead",
        lead.pk,
        "answered",
        activity.pk,
    )


def test_a_missed_call_plans_a_call_back_for_the_responsible(client, phone_channel, manager):
    response = call(client, phone_channel, status="missed", duration=0, recording_url="")
    assert response.status_code == 200
    activity = Activity.objects.get()
    assert not activity.is_done and activity.assigned_to == manager
    assert activity.direction == "outgoing" and activity.priority == Activity.Priority.HIGH
    assert "Call back" in activity.subject and activity.data["missed"] is True


def test_the_same_call_id_twice_is_one_request(client, phone_channel):
    first = call(client, phone_channel)
    second = call(client, phone_channel)
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert second.json()["request_id"] == first.json()["request_id"]
    assert IntakeRequest.objects.count() == 1 and Activity.objects.count() == 1


def test_a_wrong_token_is_refused_and_nothing_is_stored(client, phone_channel):
    response = call(client, phone_channel, token="wrong")
    no_token = client.post("/intake/telephony/", data="{}", content_type="application/json")
    assert response.status_code == no_token.status_code == 401
    assert response.json()["error"]["code"] == "intake.bad_token"
    assert not IntakeRequest.objects.exists()


def test_a_broken_event_is_refused_with_each_bad_field(client, phone_channel):
    response = call(client, phone_channel, call_id="", status="ringing", **{"from": "abc"})
    assert response.status_code == 422
    assert set(response.json()["error"]["details"]) == {"call_id", "status", "from"}
    garbage = client.post(
        "/intake/telephony/",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {phone_channel.token}"},
    )
    assert garbage.status_code == 422 and garbage.json()["error"]["code"] == "request.bad_json"


def test_an_outgoing_call_is_stored_but_not_routed(client, phone_channel):
    response = call(client, phone_channel, direction="outgoing", to="+79031234567")
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert not Lead.objects.exists()


def test_who_is_calling_returns_the_client_and_its_open_items(
    client, phone_channel, manager, general_pipeline, system, django_assert_max_num_queries
):
    # given
    contact = create_contact(actor=manager, first_name="Pavel", last_name="Known", phones=["+79031234567"])
    deal = create_deal(actor=manager, title="Pumps", contact=contact, pipeline=general_pipeline)

    # when
    # channel by token, the (kind, normalized) index look-up, the contact, the system actor,
    # the open deals, the responsible: the same for any number of clients in the database
    with django_assert_max_num_queries(6):
        response = client.get(
            "/intake/telephony/who",
            {"phone": "8 903 123 45 67"},
            headers={"X-Voronka-Token": phone_channel.token},
        )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["client"] == {"kind": "contact", "id": contact.pk, "title": "Pavel Known"}
    assert body["open_items"] == [
        {"kind": "deal", "id": deal.pk, "title": "Pumps", "stage": deal.stage.title}
    ]
    assert body["responsible"]["username"] == manager.username


def test_who_is_calling_an_unknown_number_and_a_bad_token(client, phone_channel):
    unknown = client.get(
        "/intake/telephony/who", {"phone": "+79990001122"}, headers={"X-Voronka-Token": phone_channel.token}
    )
    refused = client.get("/intake/telephony/who", {"phone": "+79990001122"})
    bad = client.get(
        "/intake/telephony/who", {"phone": "xx"}, headers={"X-Voronka-Token": phone_channel.token}
    )
    assert unknown.status_code == 200 and unknown.json()["client"] is None
    assert refused.status_code == 401
    assert bad.status_code == 422


def test_an_oversized_webhook_body_is_refused_with_413(client, phone_channel):
    response = client.post(
        "/intake/telephony/",
        data=json.dumps({"call_id": "big", "padding": "x" * 300_000}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {phone_channel.token}"},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "request.too_large"
    assert not IntakeRequest.objects.exists()
