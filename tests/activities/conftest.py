"""Fixtures for the activities tests: items built through the services, a fixed clock, task backends."""

import datetime as dt

import pytest
from django.utils import timezone

from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead


@pytest.fixture
def deal(manager, general_pipeline):
    return create_deal(title="Pump delivery", pipeline=general_pipeline, actor=manager)


@pytest.fixture
def lead(manager, lead_statuses):
    return create_lead(
        actor=manager, title="Pumps for the plant", first_name="Anna", phones=["+7 916 111 22 33"]
    )


@pytest.fixture
def tomorrow_10():
    local = timezone.localtime() + dt.timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture
def dummy_tasks(settings):
    """Use the dummy task backend: enqueued tasks are recorded, not run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks at once, in-process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
