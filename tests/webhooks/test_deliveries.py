"""Deliveries to a real receiver on 127.0.0.1: signed, retried, never twice after success."""

import json

import pytest

from voronka.crm.services.leads import create_lead
from voronka.webhooks import signing
from voronka.webhooks.models import WebhookDelivery
from voronka.webhooks.services import attempt_delivery, create_subscription
from voronka.webhooks.tasks import deliver_webhook

# Transactions really commit here (events go out on commit, the worker reads committed rows);
# tests/conftest.py puts the rows of the data migrations back before each test.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def subscription(webhook_settings, receiver, admin):
    return create_subscription(actor=admin, target_url=receiver.url, events=["item.created"], secret="s" * 32)


def test_a_subscribed_event_reaches_the_receiver_signed(subscription, receiver, manager, run_worker):
    # when
    lead = create_lead(actor=manager, title="Pumps")
    run_worker()

    # then
    [request] = receiver.requests
    assert request.path == "/hooks/voronka"
    assert request.headers["X-Voronka-Event"] == "item.created"
    assert signing.verify(subscription.secret, request.headers[signing.HEADER], request.body)
    assert not signing.verify("another secret", request.headers[signing.HEADER], request.body)
    body = json.loads(request.body)
    assert (body["event"], body["data"]) == (
        "item.created",
        {"kind": "lead", "item_id": lead.pk, "actor_id": manager.pk},
    )
    delivery = WebhookDelivery.objects.get()
    assert str(delivery.delivery_id) == request.headers["X-Voronka-Delivery"]
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 200)


def test_only_the_events_subscribed_to_are_sent(subscription, receiver, manager, run_worker):
    from voronka.crm.services.stages import move

    lead = create_lead(actor=manager, title="Pumps")
    run_worker()
    move(lead, to=lead.status.pipeline.stages.get(code="IN_PROCESS"), actor=manager)
    run_worker()

    assert [r.headers["X-Voronka-Event"] for r in receiver.requests] == ["item.created"]


def test_a_failing_receiver_gets_retries_with_the_same_delivery(subscription, receiver, manager, run_worker):
    # given: the receiver fails twice, then accepts
    receiver.statuses = [500, 503]

    # when
    create_lead(actor=manager, title="Pumps")
    run_worker()

    # then
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Voronka-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert [r.headers["X-Voronka-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 3, None)


def test_nothing_is_delivered_twice_after_success(subscription, receiver, manager, run_worker):
    create_lead(actor=manager, title="Pumps")
    run_worker()
    delivery = WebhookDelivery.objects.get()

    # when: the task runs again (a re-queued or duplicated job) and the service is called again
    deliver_webhook.enqueue(delivery_id=delivery.pk)
    run_worker()
    outcome = attempt_delivery(delivery.pk)

    # then
    assert outcome.status == "skipped"
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_after_the_last_attempt_the_delivery_has_failed(
    subscription, receiver, manager, run_worker, settings
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500, 500]

    create_lead(actor=manager, title="Pumps")
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 2
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 2, 500)
    assert delivery.response_body == "try again"


def test_a_private_target_is_refused_at_delivery_unless_allowed(
    subscription, receiver, manager, run_worker, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    create_lead(actor=manager, title="Pumps")
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == "failed"
    assert "private" in delivery.error


def test_a_retry_waits_for_its_time(subscription, receiver, manager, run_worker, settings):
    settings.WEBHOOKS_RETRY_SECONDS = 3600
    receiver.statuses = [500]

    create_lead(actor=manager, title="Pumps")
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 1
    assert delivery.status == "retrying"
    assert delivery.next_attempt_at is not None
    assert attempt_delivery(delivery.pk).status == "skipped"  # not due yet
