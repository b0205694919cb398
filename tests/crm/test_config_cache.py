"""Configuration kept per process (crm.config_cache) is never used once it has changed.

The stamp is set by database triggers, so a change made anyhow (a service, a queryset update,
raw SQL: another process, as far as this one can tell) is seen by the next read.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from voronka.automation.models import Robot
from voronka.crm import config_cache
from voronka.crm.models import CrmSettings, CustomField, Pipeline, Source, Stage
from voronka.crm.selectors.pipelines import first_lead_status, lead_pipeline
from voronka.crm.services.custom_fields import create_field, definitions
from voronka.crm.services.items import resolve_source
from voronka.lib.errors import Invalid
from voronka.webhooks.models import WebhookSubscription
from voronka.webhooks.selectors import is_wanted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["alone", "in a request"])
def stamp(request):
    """A stamp row (a flushed test database has none), and nothing kept from earlier tests.

    Every test runs twice: alone (a task, a command) and inside one request, where the stamp
    is read once unless the request itself writes to a configuration table."""
    from voronka.crm.models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    config_cache.clear()
    if request.param == "alone":
        yield
    else:
        with config_cache.per_request():
            yield


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _robot():
    return Robot.objects.create(stage=first_lead_status(), kind="add_comment", params={"text": "x"})


def _subscription():
    return WebhookSubscription.objects.create(target_url="https://h.example.com/x", secret="s", events=["*"])


@pytest.mark.parametrize(
    ("setup", "change"),
    [
        (None, lambda: Stage.objects.filter(pipeline__kind="lead").update(color="#123456")),
        (None, lambda: Pipeline.objects.filter(kind="lead").update(name="Leads!")),
        (None, lambda: Source.objects.create(code="FAIR", name="Fair")),
        (
            lambda: CustomField.objects.create(entity="lead", code="UF_CRM_X", name="X", type="string"),
            lambda: _sql("DELETE FROM crm_customfield"),
        ),
        (None, lambda: CrmSettings.objects.update_or_create(pk=1, defaults={"mode": "classic"})),
        (_robot, lambda: Robot.objects.update(is_active=False)),
        (_subscription, lambda: _sql("UPDATE webhooks_webhooksubscription SET is_active = is_active")),
        (_subscription, lambda: WebhookSubscription.objects.all().delete()),
    ],
)
def test_every_write_to_a_configuration_table_sets_a_new_stamp(setup, change):
    if setup:
        setup()
    before = config_cache.current_version()

    change()

    assert config_cache.current_version() not in (None, before)


def _second_open_status(first):
    return lead_pipeline().stages.filter(semantics="open").exclude(pk=first.pk).order_by("sort", "pk").first()


def test_a_changed_first_status_is_seen_at_once():
    first = first_lead_status()
    other = _second_open_status(first)

    # as another process would: no service, no signal, just the database
    Stage.objects.filter(pk=first.pk).update(sort=10_000)

    assert first_lead_status().pk == other.pk


def test_a_rolled_back_change_is_not_kept():
    first = first_lead_status()
    other = _second_open_status(first)

    seen = []
    with transaction.atomic():
        Stage.objects.filter(pk=first.pk).update(sort=10_000)
        seen.append(first_lead_status().pk)
        transaction.set_rollback(True)

    assert seen == [other.pk]

    assert first_lead_status().pk == first.pk


def test_a_kept_stage_is_a_copy_callers_may_change():
    stage = first_lead_status()
    stage.name = "changed in memory"

    assert first_lead_status().name != "changed in memory"


def test_a_new_source_code_resolves_at_once():
    with pytest.raises(Invalid):
        resolve_source("FAIR")

    Source.objects.create(code="FAIR", name="Fair")

    assert resolve_source("FAIR").code == "FAIR"


def test_a_new_required_field_is_enforced_at_once(admin, manager):
    from voronka.crm.services.leads import create_lead

    assert definitions("lead") == []
    create_lead(actor=manager, title="before")

    create_field(entity="lead", name="Budget", type="number", actor=admin, is_required=True)

    with pytest.raises(Invalid):
        create_lead(actor=manager, title="after")


def test_a_new_subscription_is_wanted_at_once():
    assert not is_wanted("item.created")

    # bulk_create: no save(), no signal
    WebhookSubscription.objects.bulk_create(
        [WebhookSubscription(target_url="https://h.example.com/x", secret="s", events=["item.created"])]
    )

    assert WebhookSubscription.objects.count() == 1
    assert is_wanted("item.created")


def test_without_a_stamp_nothing_is_kept():
    from voronka.crm.models import ConfigVersion

    ConfigVersion.objects.all().delete()
    first = first_lead_status()
    other = _second_open_status(first)
    _sql("UPDATE crm_stage SET sort = 10000 WHERE id = %s", [first.pk])

    assert first_lead_status().pk == other.pk


def _sources() -> set[str]:
    return config_cache.cached("test_sources", lambda: set(Source.objects.values_list("code", flat=True)))


@pytest.mark.parametrize(
    "change",
    [
        lambda: Source.objects.create(code="FAIR", name="Fair"),
        lambda: _sql("UPDATE crm_source SET code = 'FAIR' WHERE id = (SELECT min(id) FROM crm_source)"),
    ],
)
def test_a_request_reads_the_stamp_once_until_it_changes_the_configuration(change):
    with config_cache.per_request(), CaptureQueriesContext(connection) as captured:
        before = _sources()
        _sources(), _sources()
        reads = _stamp_reads(captured)
        change()
        after = _sources()

    assert reads == 1
    assert "FAIR" not in before and "FAIR" in after


def test_a_request_that_rolled_back_its_configuration_change_does_not_keep_it():
    with config_cache.per_request():
        with transaction.atomic():
            Source.objects.create(code="FAIR", name="Fair")
            assert "FAIR" in _sources()
            transaction.set_rollback(True)

        assert "FAIR" not in _sources()


def test_writes_to_other_tables_keep_the_request_s_stamp(manager):
    from voronka.crm.services.leads import create_lead

    with config_cache.per_request(), CaptureQueriesContext(connection) as captured:
        create_lead(actor=manager, title="Pumps", phones=["+7 495 100 20 30"])
        create_lead(actor=manager, title="Valves")

    assert _stamp_reads(captured) == 1  # crm_stagehistory is not crm_stage


def _stamp_reads(captured) -> int:
    return sum("crm_configversion" in query["sql"] for query in captured.captured_queries)


def test_a_statement_seen_before_still_counts_as_a_configuration_write(monkeypatch):
    statement = "UPDATE crm_source SET name = name || '!' WHERE id = (SELECT min(id) FROM crm_source)"
    searches = []
    pattern = config_cache._watched_tables

    def watched_tables():
        searches.append(1)
        return pattern()

    monkeypatch.setattr(config_cache, "_watched_tables", watched_tables)
    monkeypatch.setattr(config_cache, "_writes", {})
    stamps = []
    for _request in range(2):
        with config_cache.per_request(), CaptureQueriesContext(connection) as captured:
            _sources()
            _sql(statement)
            _sources()
        stamps.append(_stamp_reads(captured))

    assert stamps == [2, 2]  # the write is seen in both requests: the stamp is read again after it
    assert len(searches) == 1  # the statement's text was searched once, not at every run
