"""A lead's create checks its input before its transaction: SQLite's writers queue for one lock
(BEGIN IMMEDIATE), which then covers only the duplicate look-up and the writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.crm.errors import DuplicateFound
from voronka.crm.models import Lead
from voronka.crm.services import duplicates, items
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import Invalid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_transaction(monkeypatch):
    """Whether each spied step of a create ran inside a transaction (its first call)."""
    seen: dict[str, bool] = {}
    for module, name in (
        (items, "clean_fields"),
        (items, "prepare_custom"),
        (items, "require"),
        (duplicates, "resolve"),
    ):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen.setdefault(_name, connection.in_atomic_block)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return seen


def test_the_checks_run_before_the_transaction_and_the_duplicate_look_up_inside(manager, in_transaction):
    lead = create_lead(actor=manager, title="Pumps", phones=["+7 495 100 20 30"], on_duplicate="refuse")

    assert lead.pk
    assert in_transaction == {
        "clean_fields": False,
        "prepare_custom": False,
        "require": False,
        "resolve": True,
    }


def test_invalid_input_is_refused_without_a_transaction(manager):
    with CaptureQueriesContext(connection) as captured, pytest.raises(Invalid):
        create_lead(actor=manager, title="x" * 300)

    assert not [q for q in captured.captured_queries if q["sql"].startswith(("BEGIN", "SAVEPOINT"))]


def test_a_duplicate_is_still_refused_inside_the_transaction(manager):
    create_lead(actor=manager, title="Pumps", phones=["+7 495 100 20 30"])

    with pytest.raises(DuplicateFound):
        create_lead(actor=manager, title="Pumps again", phones=["+7 495 100 20 30"], on_duplicate="refuse")


def test_a_create_written_with_one_statement_needs_no_transaction_of_its_own(manager, monkeypatch):
    from voronka.crm import bulk_insert
    from voronka.crm.events import ItemCreated, StageChanged
    from voronka.lib import bus

    seen, delivered = [], []
    real = bulk_insert.insert_with_rows

    def spy(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk_insert, "insert_with_rows", spy)
    for event_type in (StageChanged, ItemCreated):
        monkeypatch.setitem(bus._subscribers, event_type, [*bus._subscribers[event_type], delivered.append])

    lead = create_lead(actor=manager, title="Pumps", phones=["+7 495 100 20 30"], on_duplicate="create")
    create_lead(actor=manager, title="Valves", phones=["+7 495 100 20 31"], on_duplicate="refuse")

    # PostgreSQL: one statement is its own transaction; SQLite writes four in one.
    assert seen == [connection.vendor != "postgresql", True]
    assert [type(event) for event in delivered[:2]] == [StageChanged, ItemCreated]
    assert delivered[0].item_id == delivered[1].item_id == lead.pk
    assert Lead.objects.filter(pk=lead.pk).exists()
