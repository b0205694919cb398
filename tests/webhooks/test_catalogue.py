import pytest
from django_tasks_db.models import DBTaskResult

from voronka.crm.events import ItemCreated, StageChanged
from voronka.crm.services.leads import create_lead
from voronka.webhooks import catalogue
from voronka.webhooks.services import create_subscription

pytestmark = pytest.mark.django_db


def test_every_crm_event_is_in_the_catalogue():
    assert catalogue.name_of(ItemCreated) == "item.created"
    assert catalogue.name_of(StageChanged) == "item.stage_changed"
    assert len(catalogue.EVENTS) == 10


def test_an_event_nobody_subscribed_to_queues_nothing(manager, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

    with django_capture_on_commit_callbacks(execute=True):
        create_lead(actor=manager, title="Pumps")

    assert not DBTaskResult.objects.exists()


def test_a_wanted_event_is_queued_once_per_event(
    manager, admin, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    create_subscription(actor=admin, target_url="https://hooks.example.com/x", events=["item.created"])

    with django_capture_on_commit_callbacks(execute=True):
        create_lead(actor=manager, title="Pumps")

    [queued] = DBTaskResult.objects.all()
    assert queued.task_path.endswith("dispatch_event")
    assert queued.args_kwargs["kwargs"]["event"] == "item.created"


def test_payloads_carry_ids_only():
    event = ItemCreated(kind="lead", item_id=5, actor_id=2)

    assert catalogue.payload(event) == {"kind": "lead", "item_id": 5, "actor_id": 2}
