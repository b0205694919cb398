"""crm.bulk_insert.insert_one (insert_many) writes rows exactly as save() does, in one statement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.crm.bulk_insert import MANY_LIMIT, _statement_sizes, insert_many, insert_one
from voronka.crm.models import Communication, Lead, StageHistory, TimelineEntry
from voronka.crm.selectors.pipelines import first_lead_status
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db

COLUMNS = ("lead_id", "kind", "actor_id", "created_at", "text", "data", "is_pinned")


def test_a_row_inserted_in_one_statement_reads_back_as_a_saved_one(manager):
    lead = create_lead(actor=manager, title="Pumps")
    at = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    data = {"changes": {"title": ["Ä", "Б"]}, "n": [1, 2.5, None, True]}
    saved = TimelineEntry(lead=lead, kind="comment", actor=manager, text="Привет", data=data, created_at=at)
    saved.save()

    with CaptureQueriesContext(connection) as captured:
        inserted = insert_one(
            TimelineEntry(lead=lead, kind="comment", actor=manager, text="Привет", data=data, created_at=at)
        )

    assert len(captured.captured_queries) == 1
    assert inserted.pk and inserted.pk != saved.pk and not inserted._state.adding
    rows = TimelineEntry.objects.filter(pk__in=[saved.pk, inserted.pk]).order_by("pk").values(*COLUMNS)
    assert rows[0] == rows[1] == {**dict.fromkeys(COLUMNS), **rows[0], "data": data, "created_at": at}


def test_defaults_are_filled_as_save_fills_them(manager):
    lead = create_lead(actor=manager, title="Pumps")

    entry = insert_one(
        StageHistory(lead=lead, pipeline_id=lead.status.pipeline_id, to_stage=first_lead_status())
    )

    row = StageHistory.objects.get(pk=entry.pk)
    assert (row.is_backward, row.reason, row.moved_by_id, row.deal_id) == (False, "", None, None)
    assert row.moved_at is not None


def test_a_few_rows_go_in_one_statement_in_order_with_their_ids(manager):
    lead = create_lead(actor=manager, title="Pumps")
    rows = [
        Communication(
            lead=lead, kind="phone", value=f"+7 495 100 20 3{i}", normalized=f"+749510020 3{i}", sort=i
        )
        for i in range(3)
    ]

    with CaptureQueriesContext(connection) as captured:
        inserted = insert_many(rows)

    assert len(captured.captured_queries) == 1
    assert inserted == rows
    stored = dict(Communication.objects.filter(lead=lead).values_list("pk", "value"))
    assert {row.pk: row.value for row in rows} == stored
    assert all(not row._state.adding for row in rows)


def test_more_rows_than_one_statement_takes_are_split(manager):
    lead = create_lead(actor=manager, title="Pumps")
    rows = [
        Communication(
            lead=lead, kind="email", value=f"a{i}@example.org", normalized=f"a{i}@example.org", sort=i
        )
        for i in range(MANY_LIMIT + 3)
    ]

    with CaptureQueriesContext(connection) as captured:
        insert_many(rows)

    assert len(captured.captured_queries) == 2
    stored = dict(Communication.objects.filter(lead=lead).values_list("pk", "sort"))
    assert stored == {row.pk: row.sort for row in rows}


def test_a_lead_is_inserted_as_save_would(manager):
    lead = create_lead(
        actor=manager, title="Pumps", amount="15000.50", utm={"utm_source": "ya"}, phones=["+7 495 100 20 30"]
    )

    row = Lead.objects.values("title", "amount", "utm", "currency", "created_at", "is_closed").get(pk=lead.pk)
    assert row["amount"] == Decimal("15000.50") and row["utm"] == {"utm_source": "ya"}
    assert (row["title"], row["is_closed"], row["created_at"]) == ("Pumps", False, lead.created_at)
    assert row["currency"] == lead.currency and not lead._state.adding


def test_sqlite_bulk_statements_come_in_few_shapes():
    # The driver keeps each statement it prepared: rests of every size would fill its cache with
    # large programs batch after batch; full statements and powers of two keep a table to ten shapes.
    shapes = set()
    for total in range(2001):
        sizes = _statement_sizes(total, 500)
        assert sum(sizes) == total
        assert all(size <= 500 for size in sizes)
        shapes.update(sizes)
    assert len(shapes) <= 10


def test_values_of_other_types_go_through_their_field_as_save_sends_them(manager):
    lead = create_lead(actor=manager, title="Pumps")
    columns = ("lead_id", "kind", "label", "value", "normalized", "sort")

    def row(**values):
        return Communication(
            lead_id=str(lead.pk),
            kind=Communication.Kind.PHONE,
            label="work",
            normalized="74951002030",
            **values,
        )

    saved = row(value=74951002030, sort="3")
    saved.save()
    inserted = insert_one(row(value=74951002030, sort="3"))

    stored = Communication.objects.filter(pk__in=[saved.pk, inserted.pk]).order_by("pk").values(*columns)
    assert stored[0] == stored[1]
    assert stored[1] == {**stored[1], "lead_id": lead.pk, "value": "74951002030", "sort": 3}


def test_a_row_built_with_new_keeps_its_related_objects_as_the_constructor_does(manager):
    from voronka.crm.bulk_insert import new

    lead = create_lead(actor=manager, title="Pumps")
    built = new(TimelineEntry, {"lead": lead, "actor": manager, "deal": None}, kind="comment", text="Hi")
    plain = TimelineEntry(lead=lead, actor=manager, deal=None, kind="comment", text="Hi")

    with CaptureQueriesContext(connection) as captured:
        assert (
            (built.lead, built.actor, built.deal)
            == (plain.lead, plain.actor, plain.deal)
            == (lead, manager, None)
        )
    assert not captured.captured_queries
    assert (built.lead_id, built.actor_id, built.deal_id) == (lead.pk, manager.pk, None)
    insert_one(built)
    assert TimelineEntry.objects.filter(pk=built.pk, lead=lead, actor=manager, text="Hi").exists()


def _attributes(instance):
    values = {k: v for k, v in instance.__dict__.items() if k != "_state"}
    return values, dict(instance._state.fields_cache), instance._state.adding, instance._state.db


def test_build_makes_the_instance_the_constructor_makes(manager):
    from voronka.crm.bulk_insert import build

    status = first_lead_status()
    at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    values = {
        "status": status,
        "created_by": manager,
        "assigned_to": None,
        "title": "Pumps",
        "amount": Decimal("15000"),
        "utm": {"utm_source": "ya"},
        "created_at": at,
        "updated_at": at,
        "source_id": None,
    }

    built, plain = build(Lead, **values), Lead(**values)

    assert type(built) is Lead and _attributes(built) == _attributes(plain)
    assert (built.status, built.created_by, built.assigned_to) == (status, manager, None)
    # Defaults as the constructor's: a new dict each, the current time.
    entry = build(TimelineEntry, kind="comment", created_at=at)
    assert _attributes(entry) == _attributes(TimelineEntry(kind="comment", created_at=at))
    assert entry.data == {} and entry.data is not build(TimelineEntry, kind="comment").data
    assert build(TimelineEntry, kind="comment").created_at > at


def test_build_leaves_what_it_does_not_know_to_the_constructor(manager):
    from django.db.models.signals import post_init

    from voronka.crm.bulk_insert import build

    with pytest.raises(TypeError):
        build(Lead, no_such_field=1)
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=Lead)
    try:
        lead = build(Lead, title="Pumps")
    finally:
        post_init.disconnect(listener, sender=Lead)
    assert seen == [lead]


def test_an_item_and_its_rows_go_in_together_with_their_ids(manager):
    from voronka.crm.bulk_insert import build, insert_with_rows, new

    status = first_lead_status()
    at = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    lead = build(
        Lead, title="Pumps", status=status, created_by=manager, created_at=at, amount=Decimal("12.50")
    )
    phones = [
        new(
            Communication,
            {"lead": lead},
            kind="phone",
            value=f"+7 495 100 20 3{i}",
            normalized=f"+749510020{i}",
        )
        for i in range(2)
    ]
    entry = new(StageHistory, {"lead": lead, "to_stage": status}, pipeline_id=status.pipeline_id, moved_at=at)
    created = new(
        TimelineEntry, {"lead": lead, "actor": manager}, kind="created", data={"a": [1]}, created_at=at
    )

    with CaptureQueriesContext(connection) as captured:
        insert_with_rows(lead, [*phones, entry, created], link="lead")

    # One statement on PostgreSQL; elsewhere the lead, then one per model of rows.
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 4)
    assert all(
        row.pk and row.lead_id == lead.pk and not row._state.adding for row in [*phones, entry, created]
    )
    assert phones[0].pk < phones[1].pk and not lead._state.adding
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.title, stored.amount, stored.created_at, stored.status_id) == (
        "Pumps",
        Decimal("12.50"),
        at,
        status.pk,
    )
    assert dict(Communication.objects.filter(lead=lead).values_list("pk", "value")) == {
        p.pk: p.value for p in phones
    }
    assert StageHistory.objects.get(lead=lead).pk == entry.pk
    assert TimelineEntry.objects.values_list("pk", "data").get(lead=lead) == (created.pk, {"a": [1]})


def test_a_lead_create_writes_its_rows_at_once_unless_it_needs_its_id_first(manager):
    with CaptureQueriesContext(connection) as captured:
        lead = create_lead(
            actor=manager, title="Pumps", phones=["+7 495 100 20 30"], emails=["a@example.org"]
        )
    inserts = [q["sql"] for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 4)
    assert [c.value for c in lead.fresh_communications] == ["+7 495 100 20 30", "a@example.org"]
    assert lead.communications.count() == 2 and StageHistory.objects.filter(lead=lead).count() == 1

    numbered = create_lead(actor=manager)  # "Lead #<id>": written in steps
    assert numbered.title.endswith(str(numbered.pk))
    assert StageHistory.objects.filter(lead=numbered).count() == 1
    assert TimelineEntry.objects.filter(lead=numbered, kind="created").count() == 1
