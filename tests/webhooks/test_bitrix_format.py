"""Subscriptions in the Bitrix24 format (made by event.bind): form-encoded posts for one item kind."""

from urllib.parse import parse_qs

import pytest

from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.webhooks.services import create_subscription

pytestmark = pytest.mark.django_db(transaction=True)


def test_oncrmleadadd_is_posted_as_bitrix24_does_and_only_for_leads(
    webhook_settings, receiver, admin, manager, run_worker
):
    subscription = create_subscription(
        actor=admin, target_url=receiver.url, events=[], bitrix_event="ONCRMLEADADD", secret="t" * 32
    )

    lead = create_lead(actor=manager, title="Pumps")
    create_deal(actor=manager, title="Not a lead")
    run_worker()

    [request] = receiver.requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
    assert form["event"] == "ONCRMLEADADD"
    assert form["data[FIELDS][ID]"] == str(lead.pk)
    assert form["event_handler_id"] == str(subscription.pk)
    assert form["auth[application_token]"] == "t" * 32
    assert form["ts"].isdigit()


def test_an_unknown_bitrix24_event_is_refused(webhook_settings, admin):
    from voronka.lib.errors import Invalid

    with pytest.raises(Invalid):
        create_subscription(
            actor=admin, target_url="https://example.com/x", events=[], bitrix_event="ONNOTHING"
        )
