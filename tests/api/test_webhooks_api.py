import pytest

from voronka.webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


def test_administrators_manage_subscriptions_over_the_api(api, admin, manager):
    body = {"target_url": "https://hooks.example.com/crm", "events": ["item.created", "lead.converted"]}

    refused = api.post("/webhooks", body, user=manager)
    created = api.post("/webhooks", body, user=admin)

    assert refused.status_code == 403
    assert created.status_code == 201
    hook = created.json()
    assert len(hook["secret"]) >= 32
    assert api.get("/webhooks", user=manager).status_code == 403
    assert [h["id"] for h in api.get("/webhooks", user=admin).json()["items"]] == [hook["id"]]
    patched = api.patch(f"/webhooks/{hook['id']}", {"is_active": False}, user=admin)
    assert patched.json()["is_active"] is False
    assert api.get(f"/webhooks/{hook['id']}/deliveries", user=admin).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert api.delete(f"/webhooks/{hook['id']}", user=admin).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_event_catalogue_is_listed(api, admin):
    events = api.get("/webhooks/events", user=admin).json()["items"]

    assert {"item.created", "item.stage_changed", "lead.converted"} <= set(events)


def test_a_private_target_is_refused_over_the_api(api, admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    response = api.post("/webhooks", {"target_url": "http://192.168.0.10/x", "events": ["*"]}, user=admin)

    assert (response.status_code, response.json()["error"]["code"]) == (422, "webhook.bad_target")


def test_the_delivery_log_pages(api, admin):
    hook = WebhookSubscription.objects.create(
        target_url="https://hooks.example.com/x", events=["*"], secret="s" * 20
    )
    for index in range(3):
        WebhookDelivery.objects.create(
            subscription=hook,
            event="item.created",
            event_id=f"00000000-0000-0000-0000-00000000000{index}",
            payload={},
        )

    first = api.get(f"/webhooks/{hook.pk}/deliveries", user=admin, params={"limit": 2}).json()
    second = api.get(
        f"/webhooks/{hook.pk}/deliveries", user=admin, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
