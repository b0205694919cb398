"""Fixtures shared by every test: users of each role, pipelines, and an event collector."""

import pytest
from django.utils import translation

from voronka.accounts.models import Department
from voronka.accounts.services import create_user, system_user
from voronka.crm.models import Pipeline
from voronka.crm.selectors.pipelines import default_deal_pipeline, lead_pipeline


@pytest.fixture(autouse=True)
def data_migration_rows(request):
    """Give a transactional test the rows the data migrations make.

    pytest-django empties every table after a transactional test, so such a test starts from
    empty tables: the built-in roles and the CRM defaults are made again (both are idempotent).
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction", False)) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from voronka.accounts.roles import create_built_in_roles
    from voronka.crm.defaults import create_defaults

    create_built_in_roles(apps)
    create_defaults()


@pytest.fixture
def published(monkeypatch) -> list[object]:
    """Collect the events the code under test publishes, without running subscribers."""
    events: list[object] = []
    monkeypatch.setattr("voronka.lib.bus.publish", events.append)
    monkeypatch.setattr("voronka.lib.bus.publish_many", events.extend)
    return events


@pytest.fixture
def sales(db) -> Department:
    return Department.objects.create(name="Sales")


@pytest.fixture
def sales_north(sales) -> Department:
    return Department.objects.create(name="Sales North", parent=sales)


@pytest.fixture
def support(db) -> Department:
    return Department.objects.create(name="Support")


@pytest.fixture
def admin(db):
    return create_user(username="admin", password="admin-pass-1", role="administrator", is_superuser=True)


@pytest.fixture
def head(sales):
    return create_user(
        username="head", first_name="Olga", last_name="Head", department=sales, role="head_of_sales"
    )


@pytest.fixture
def manager(sales):
    return create_user(
        username="ivanov", first_name="Ivan", last_name="Ivanov", department=sales, role="manager"
    )


@pytest.fixture
def colleague(sales_north):
    return create_user(
        username="petrov", first_name="Petr", last_name="Petrov", department=sales_north, role="manager"
    )


@pytest.fixture
def outsider(support):
    return create_user(
        username="sidorov", first_name="Sidor", last_name="Sidorov", department=support, role="manager"
    )


@pytest.fixture
def intern(sales):
    return create_user(
        username="intern", first_name="Anna", last_name="Intern", department=sales, role="intern"
    )


@pytest.fixture
def system(db):
    return system_user()


@pytest.fixture
def lead_statuses(db) -> Pipeline:
    return lead_pipeline()


@pytest.fixture
def general_pipeline(db) -> Pipeline:
    return default_deal_pipeline()


@pytest.fixture(autouse=True)
def _language_of_each_test_is_its_own():
    """A request's middleware activates its user's language in the thread and leaves it: the next
    test in the same process starts from the default again, whatever ran before it."""
    yield
    translation.deactivate()


def pytest_configure(config):
    from django.conf import settings

    # Tests render templates without collectstatic: plain storage, no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
