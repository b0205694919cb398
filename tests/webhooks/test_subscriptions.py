import pytest

from voronka.lib.errors import Forbidden, Invalid
from voronka.webhooks import signing
from voronka.webhooks.models import WebhookSubscription
from voronka.webhooks.services import create_subscription, update_subscription
from voronka.webhooks.transport import is_public

pytestmark = pytest.mark.django_db


def test_only_administrators_subscribe(manager, admin):
    with pytest.raises(Forbidden):
        create_subscription(actor=manager, target_url="https://hooks.example.com/x", events=["item.created"])

    subscription = create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["*"])

    assert len(subscription.secret) >= 32


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "https://user:pass@example.com/x",
        "http://127.0.0.1:8000/x",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "http://localhost/x",
        "http://printer.local/x",
        "not a url",
    ],
)
def test_bad_and_private_targets_are_refused(admin, url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(Invalid) as refusal:
        create_subscription(actor=admin, target_url=url, events=["item.created"])

    assert refusal.value.code == "webhook.bad_target"
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_accepted_when_the_setting_allows(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True

    assert create_subscription(actor=admin, target_url="http://127.0.0.1:9/x", events=["item.created"]).pk


def test_unknown_events_are_refused(admin):
    with pytest.raises(Invalid) as refusal:
        create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["lead.exploded"])

    assert refusal.value.details["events"] == ["lead.exploded"]


def test_a_subscription_is_changed_by_administrators(admin, manager):
    subscription = create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["*"])

    with pytest.raises(Forbidden):
        update_subscription(subscription, actor=manager, is_active=False)
    changed = update_subscription(subscription, actor=admin, is_active=False, events=["item.updated"])

    assert (changed.is_active, changed.events) == (False, ["item.updated"])


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("2a00:1450:4010:c05::71", True),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public(address) is public


def test_signatures_expire(admin):
    body = b'{"a":1}'
    header = signing.header_value("k" * 20, body, timestamp=1_000_000)

    assert signing.verify("k" * 20, header, body, now=1_000_010)
    assert not signing.verify("k" * 20, header, body, now=1_000_000 + 3600)
    assert not signing.verify("k" * 20, header, b'{"a":2}', now=1_000_010)
