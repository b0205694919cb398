"""Fixtures for messaging: a real SMTP server on 127.0.0.1 and Django pointed at it."""

import pytest

from tests.messaging.smtp_server import SmtpServer
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "Voronka <crm@voronka.test>"
        settings.PUBLIC_URL = "https://crm.voronka.test"
        yield server.recorder


@pytest.fixture
def lead(manager, lead_statuses):
    return create_lead(
        actor=manager,
        title="Pumps for the plant",
        first_name="Anna",
        last_name="Petrova",
        emails=["anna@romashka.ru"],
        phones=["+7 916 111 22 33"],
    )


@pytest.fixture
def deal(manager, general_pipeline):
    return create_deal(title="Pump delivery", pipeline=general_pipeline, actor=manager, amount="125000.50")


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend
