"""crm.bulk_insert.insert_one writes a row exactly as save() does, with one prepared statement."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.crm.bulk_insert import insert_one
from voronka.crm.models import StageHistory, TimelineEntry
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
