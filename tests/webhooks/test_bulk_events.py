"""Bulk writes check the subscriptions once, not once per event, and still queue every wanted event."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from voronka.crm.services.leads import create_lead
from voronka.webhooks.selectors import is_wanted, one_read_of_subscriptions
from voronka.webhooks.services import create_subscription

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "webhooks_webhooksubscription"


def _reads(captured) -> int:
    return sum(SUBSCRIPTIONS in query["sql"] for query in captured.captured_queries)


def test_outside_a_snapshot_every_check_reads_the_configuration_stamp(admin):
    from voronka.crm import config_cache
    from voronka.crm.models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    config_cache.clear()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(5):
            is_wanted("item.created")

    # the subscriptions once, then kept while the stamp stays
    assert _reads(captured) == 1
    assert sum("crm_configversion" in query["sql"] for query in captured.captured_queries) == 5
    # a new subscription sets a new stamp: seen by the next check
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["item.created"])
    assert is_wanted("item.created")


def test_in_a_snapshot_many_checks_read_them_once(admin):
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["item.created"])

    with CaptureQueriesContext(connection) as captured, one_read_of_subscriptions():
        answers = [is_wanted("item.created") for _ in range(50)] + [is_wanted("item.deleted")]

    assert _reads(captured) == 1
    assert answers == [True] * 50 + [False]


def test_every_event_of_a_bulk_commit_is_still_queued(
    manager, admin, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["item.created"])

    with (
        CaptureQueriesContext(connection) as captured,
        one_read_of_subscriptions(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(10):
            create_lead(actor=manager, title=f"Pumps {n}")

    assert DBTaskResult.objects.count() == 10
    assert _reads(captured) == 1


def test_the_snapshot_ends_with_its_block(admin):
    with one_read_of_subscriptions():
        assert not is_wanted("item.created")
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["item.created"])

    assert is_wanted("item.created")
