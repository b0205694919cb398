import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.utils import timezone

from voronka.messaging import tracking
from voronka.messaging.events import MessageDelivered
from voronka.messaging.models import Message
from voronka.messaging.services import delivery
from voronka.messaging.services.compose import send_email, send_sms

pytestmark = pytest.mark.django_db


class Gateway(BaseHTTPRequestHandler):
    requests: list[dict] = []
    reply = (200, "OK id=abc123")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        Gateway.requests.append(
            {
                "path": self.path,
                "body": parse_qs(self.rfile.read(length).decode()),
                "auth": self.headers.get("Authorization"),
            }
        )
        status, text = Gateway.reply
        self.send_response(status)
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.requests, Gateway.reply = [], (200, "OK id=abc123")
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP = {
        "URL": f"http://127.0.0.1:{server.server_port}/send?to={{to}}",
        "METHOD": "POST",
        "BODY": "text={text}&from={sender}",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "USER": "voronka",
        "PASSWORD": "s3cret",
        "TOKEN": "",
        "SUCCESS": r"^OK id=(?P<id>\w+)",
        "SENDER": "VORONKA",
        "TIMEOUT": 5,
    }
    yield Gateway
    server.shutdown()


def test_an_sms_goes_through_the_http_gateway_and_its_delivery_report_reaches_the_timeline(
    lead, manager, gateway, published
):
    # given
    message = send_sms(lead, actor=manager, text="Hello {{ lead.first_name }}, your order is ready")

    # when
    outcome = delivery.deliver(message.pk)
    report = Client().get(
        f"/messaging/sms/status/{tracking.sms_status_token()}/", {"id": "abc123", "status": "delivered"}
    )

    # then
    assert outcome == "sent" and report.status_code == 200
    [request] = gateway.requests
    assert request["path"] == "/send?to=%2B79161112233"
    assert request["body"] == {"text": ["Hello Anna, your order is ready"], "from": ["VORONKA"]}
    assert request["auth"].startswith("Basic ")
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("delivered", "abc123")
    assert [e.data["state"] for e in lead.timeline.filter(kind="message").order_by("pk")] == [
        "queued",
        "sent",
        "delivered",
    ]
    assert MessageDelivered(message_id=message.pk, channel="sms", kind="lead", item_id=lead.pk) in published


def test_a_gateway_answer_without_the_success_pattern_fails_the_sms(lead, manager, gateway):
    gateway.reply = (200, "ERROR 31 balance too low")
    message = send_sms(lead, actor=manager, text="Hi")
    assert delivery.deliver(message.pk) == "bounced"
    message.refresh_from_db()
    assert message.status == "failed" and "balance too low" in message.error


def test_a_gateway_server_error_is_retried(lead, manager, gateway):
    gateway.reply = (503, "busy")
    message = send_sms(lead, actor=manager, text="Hi")
    assert delivery.deliver(message.pk) == "retry"


def test_a_forged_status_report_is_not_found(lead, manager):
    assert (
        Client().get("/messaging/sms/status/forged/", {"id": "x", "status": "delivered"}).status_code == 404
    )


def test_the_console_backend_sends_in_development(lead, manager, settings, caplog):
    settings.SMS_BACKEND = "console"
    message = send_sms(lead, actor=manager, to="8 916 222-33-44", text="Hi there")
    assert delivery.deliver(message.pk) == "sent"
    assert "+79162223344" in caplog.text and "Hi there" in caplog.text


def test_an_sms_to_a_non_phone_is_refused(lead, manager):
    from voronka.lib.errors import Invalid

    with pytest.raises(Invalid) as refusal:
        send_sms(lead, actor=manager, to="call me maybe", text="Hi")
    assert "to" in refusal.value.details and not Message.objects.exists()


def stale(message, *, handed_over: bool):
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(
        status="sending",
        claimed_at=long_ago,
        claim_token=None,
        handed_over_at=long_ago if handed_over else None,
    )


def test_housekeeping_requeues_a_stalled_claim_that_was_never_handed_over(lead, manager, mailoutbox):
    message = send_email(lead, actor=manager, subject="Hi", body="Hello", body_is_text=True)
    stale(message, handed_over=False)

    counts = delivery.recover_stalled()

    message.refresh_from_db()
    assert counts["requeued"] == 1 and message.status == "queued"
    assert delivery.deliver(message.pk) == "sent" and len(mailoutbox) == 1


def test_housekeeping_never_resends_a_message_that_was_handed_over(lead, manager, mailoutbox):
    message = send_email(lead, actor=manager, subject="Hi", body="Hello", body_is_text=True)
    stale(message, handed_over=True)

    counts = delivery.recover_stalled()

    message.refresh_from_db()
    assert counts["uncertain"] == 1 and message.status == "uncertain" and message.error_code == "interrupted"
    assert delivery.deliver(message.pk) == "not_claimed" and mailoutbox == []
    assert lead.timeline.filter(kind="message", data__state="uncertain").exists()


def test_a_worker_whose_claim_was_taken_over_does_not_send(lead, manager, mailoutbox, monkeypatch):
    message = send_email(lead, actor=manager, subject="Hi", body="Hello", body_is_text=True)
    real_claim = delivery.claim

    def claim_then_lose_it(message_id):
        token = real_claim(message_id)
        Message.objects.filter(pk=message_id).update(claim_token=None)  # housekeeping took it over
        return token

    monkeypatch.setattr(delivery, "claim", claim_then_lose_it)
    assert delivery.deliver(message.pk) == "claim_lost" and mailoutbox == []


def test_an_opened_uncertain_message_is_known_to_be_sent(lead, manager):
    from voronka.messaging.services.tracking import record_open

    message = send_email(lead, actor=manager, subject="Hi", body="Hello", body_is_text=True)
    stale(message, handed_over=True)
    delivery.recover_stalled()

    record_open(tracking.open_token(message.public_id))

    message.refresh_from_db()
    assert message.status == "sent" and message.opened_at
