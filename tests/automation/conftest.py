"""Fixtures for automation: lead statuses of the seed's scenarios, in-process tasks, a settable clock."""

import datetime as dt

import pytest

from tests.webhooks.conftest import receiver  # noqa: F401 - a real HTTP receiver on 127.0.0.1
from voronka.crm.services.pipelines import add_stage


@pytest.fixture
def immediate_tasks(settings):
    """Run enqueued tasks at once, in-process (delayed robots wait for release_due_runs)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AUTOMATION_RUN_LEASE = 0


@pytest.fixture
def jump(settings):
    """Move the automation clock forward by a timedelta."""

    def forward(delta: dt.timedelta) -> None:
        settings.VORONKA_CLOCK_OFFSET = settings.VORONKA_CLOCK_OFFSET + delta.total_seconds()

    settings.VORONKA_CLOCK_OFFSET = 0
    return forward


@pytest.fixture
def seminar_statuses(lead_statuses, admin):
    """The survey scenario's statuses: New → Information sent → Read → Not read → In progress..."""
    new = lead_statuses.stages.get(code="NEW")
    sent = add_stage(lead_statuses, name="Information sent", code="INFO_SENT", actor=admin, after=new)
    read = add_stage(lead_statuses, name="Read", code="READ", actor=admin, after=sent)
    unread = add_stage(lead_statuses, name="Not read", code="NOT_READ", actor=admin, after=read)
    return {"NEW": new, "INFO_SENT": sent, "READ": read, "NOT_READ": unread}


@pytest.fixture
def run_callbacks(django_capture_on_commit_callbacks):
    """Run what the code commits (events → subscribers → immediate tasks) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
