"""What an API request does not do: the web UI's middleware, a counter write per request, a
read of the webhook subscriptions per event, a transaction for robots a stage does not have."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from voronka.accounts.services import create_token, system_user
from voronka.api import services
from voronka.api.models import ApiRateCounter
from voronka.automation.models import RobotRun
from voronka.webhooks.services import create_subscription

pytestmark = pytest.mark.django_db


def test_api_requests_skip_sessions_csrf_and_the_signed_in_user(api, manager, client):
    answer = api.get("/leads", user=manager)
    page = client.get("/accounts/login/")

    assert answer.status_code == 200
    assert not hasattr(answer.wsgi_request, "session")
    assert not hasattr(answer.wsgi_request, "user")
    assert "csrftoken" not in answer.cookies
    # the web UI keeps all of it
    assert hasattr(page.wsgi_request, "session") and hasattr(page.wsgi_request, "user")
    assert "csrftoken" in page.cookies


def test_api_messages_still_follow_the_accept_language(api, manager):
    english = api.get("/leads/999", user=manager).json()["error"]["message"]
    russian = api.get("/leads/999", user=manager, headers={"Accept-Language": "ru"}).json()
    russian = russian["error"]["message"]

    assert english != russian


@pytest.fixture
def fresh_blocks(monkeypatch):
    """An empty table of claimed request numbers, as in a process that has just started."""
    monkeypatch.setattr(services, "_blocks", {})


def test_a_block_of_request_numbers_is_written_once(manager, settings, fresh_blocks):
    settings.API_RATE_LIMIT = "3000/min"  # blocks of 3
    token, _raw = create_token(user=manager, actor=system_user())

    first = services.count_request(token, now=1_000_020.0)
    with CaptureQueriesContext(connection) as captured:
        rest = [services.count_request(token, now=1_000_021.0 + i) for i in range(2)]
    fourth = services.count_request(token, now=1_000_030.0)

    assert [d.remaining for d in (first, *rest, fourth)] == [2999, 2998, 2997, 2996]
    assert len(captured.captured_queries) == 0
    assert ApiRateCounter.objects.get(token=token).hits == 6  # two blocks claimed


def test_processes_sharing_a_token_never_admit_more_than_the_limit(manager, settings, monkeypatch):
    settings.API_RATE_LIMIT = "4000/min"  # blocks of 4
    token, _raw = create_token(user=manager, actor=system_user())
    processes = [{}, {}, {}]
    admitted = 0
    for number in range(4100):
        monkeypatch.setattr(services, "_blocks", processes[number % 3])
        admitted += services.count_request(token, now=1_000_020.0).allowed

    assert admitted == 4000


def test_small_limits_are_counted_exactly_in_the_database(manager, settings, fresh_blocks):
    settings.API_RATE_LIMIT = "5/min"
    token, _raw = create_token(user=manager, actor=system_user())

    decisions = [services.count_request(token, now=1_000_020.0) for _ in range(6)]

    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert ApiRateCounter.objects.get(token=token).hits == 6


def test_a_revoked_token_is_refused_at_once_even_with_numbers_left(api, manager, settings, fresh_blocks):
    from voronka.accounts.services import revoke_token

    settings.API_RATE_LIMIT = "1000000/min"
    token, raw = create_token(user=manager, actor=system_user())
    assert api.get("/leads", token=raw).status_code == 200

    revoke_token(token, actor=system_user())

    assert api.get("/leads", token=raw).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_create_reads_the_webhook_subscriptions_once_and_queues_its_events(api, manager, admin, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["*"])
    api.get("/leads", user=manager)

    with CaptureQueriesContext(connection) as captured:
        response = api.post("/leads", {"title": "Pumps", "phones": ["+7 495 100 20 30"]}, user=manager)

    assert response.status_code == 201
    reads = [q for q in captured.captured_queries if "webhooks_webhooksubscription" in q["sql"]]
    assert len(reads) == 1
    # lead created and stage entered: both queued for delivery
    assert DBTaskResult.objects.count() >= 2


@pytest.mark.django_db(transaction=True)
def test_a_new_lead_in_a_stage_without_robots_opens_no_robot_transaction(api, manager):
    api.get("/leads", user=manager)

    with CaptureQueriesContext(connection) as captured:
        response = api.post("/leads", {"title": "Pumps"}, user=manager)

    assert response.status_code == 201
    assert not RobotRun.objects.exists()
    starts = [q for q in captured.captured_queries if q["sql"].startswith(("BEGIN", "SAVEPOINT"))]
    assert len(starts) <= 1  # the create's own transaction


def test_a_created_lead_shows_its_communications_as_a_read_does_without_reading_them_back(api, manager):
    body = {
        "title": "Pumps",
        "phones": [{"value": "+7 495 100 20 30", "label": "work"}, "+7 916 100 20 31"],
        "emails": ["b@example.org", {"value": "a@example.org", "label": "home"}],
        "websites": ["https://pumps.example.org"],
    }
    with CaptureQueriesContext(connection) as captured:
        created = api.post("/leads", body, user=manager)

    assert created.status_code == 201
    read = api.get(f"/leads/{created.json()['id']}", user=manager).json()
    for name in ("phones", "emails", "websites", "messengers"):
        assert created.json()[name] == read[name], name
    assert not [
        q
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and "crm_communication" in q["sql"] and '"lead_id" IN' in q["sql"]
    ]


def test_a_create_reads_the_configuration_stamp_once(api, manager):
    from voronka.crm.models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})  # as a migrated database has
    api.get("/leads", user=manager)

    with CaptureQueriesContext(connection) as captured:
        response = api.post("/leads", {"title": "Pumps", "phones": ["+7 495 100 20 30"]}, user=manager)

    assert response.status_code == 201
    assert sum("crm_configversion" in q["sql"] for q in captured.captured_queries) == 1


def test_the_token_statement_reads_the_role_rights_and_a_change_shows_at_the_next_request(
    api, manager, admin
):
    from voronka.accounts.models import Scope
    from voronka.accounts.services import set_role_rights
    from voronka.crm.services.leads import create_lead

    create_lead(actor=admin, title="Someone else's", assigned_to=admin, on_duplicate="create")
    set_role_rights(manager.role, {("lead", "read"): Scope.OWN}, actor=admin)
    with CaptureQueriesContext(connection) as captured:
        own = api.get("/leads", user=manager)

    set_role_rights(manager.role, {("lead", "read"): Scope.ALL}, actor=admin)
    every = api.get("/leads", user=manager)
    set_role_rights(manager.role, {("lead", "read"): Scope.NONE}, actor=admin)
    none = api.get("/leads", user=manager)

    assert not [q for q in captured.captured_queries if q["sql"].startswith("SELECT entity, action, scope")]
    assert own.json()["items"] == []
    assert [item["title"] for item in every.json()["items"]] == ["Someone else's"]
    assert none.json()["items"] == []


def test_a_create_takes_eight_statements_on_sqlite_and_three_on_postgresql(api, manager):
    from voronka.crm.models import ConfigVersion

    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})  # as a migrated database has
    body = {"title": "Pumps", "phones": ["+7 495 100 20 30"], "emails": ["a@example.org"], "source": "WEB"}
    first = {"title": "First", "phones": ["+7 495 100 20 31"], "emails": ["b@example.org"], "source": "WEB"}
    api.post("/leads", first, user=manager)  # the sources are kept from now on

    with CaptureQueriesContext(connection) as captured:
        response = api.post("/leads", body, user=manager)

    assert response.status_code == 201
    assert response.json()["duplicates"] == []
    statements = [q["sql"].split(" (")[0].split(" WHERE")[0] for q in captured.captured_queries]
    # the token with its user, the role's rights and the configuration stamp; the transaction
    # (a savepoint in a test); one INSERT each for the lead, its phones and e-mails, the stage
    # history and the timeline; the answer's look-up of duplicates the manager may see
    if connection.vendor == "postgresql":
        # the lead and its rows in one statement, which is a transaction by itself
        assert [s.split()[0] for s in statements] == ["SELECT", "WITH", "SELECT"], statements
        return
    assert len(statements) == 8, statements
    assert [s.split()[0] for s in statements] == [
        "SELECT", "SAVEPOINT", "INSERT", "INSERT", "INSERT", "INSERT", "RELEASE", "SELECT"
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800", "ok \\udfff", "\\ud83d"])
def test_a_nul_character_or_a_lone_surrogate_anywhere_in_the_body_is_refused(api, manager, text):
    body = '{"title": "Pumps", "custom": {"x": ["a", "' + text + '"]}}'

    response = api.post("/leads", body, user=manager)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request.malformed"


def test_a_surrogate_pair_is_a_character_like_any_other(api, manager):
    response = api.post("/leads", '{"title": "Pumps \\ud83d\\ude80", "on_duplicate": "create"}', user=manager)

    assert response.status_code == 201
    assert response.json()["title"] == "Pumps 🚀"
