"""The indexes an inserted row pays for: owner columns are indexed only where they are set."""

import re

import pytest
from django.db import connection

from voronka.crm.models import Communication, Lead, StageHistory, TimelineEntry

pytestmark = pytest.mark.django_db

PARTIAL = {
    Communication: ("lead_id", "contact_id", "company_id"),
    TimelineEntry: ("lead_id", "deal_id", "contact_id", "company_id"),
    Lead: ("contact_id", "company_id"),
    StageHistory: ("from_stage_id",),
}


def _single_column_indexes(model) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    by_column: dict[str, list[str]] = {}
    for name, info in found.items():
        if info["index"] and not info["primary_key"] and len(info["columns"]) == 1:
            by_column.setdefault(info["columns"][0], []).append(name)
    return by_column


@pytest.mark.parametrize("model", list(PARTIAL), ids=lambda model: model.__name__)
def test_owner_columns_have_one_partial_index_each(model):
    # A row has one owner: a full index would also hold the other owners' NULLs on every insert.
    by_column = _single_column_indexes(model)
    for column in PARTIAL[model]:
        names = by_column.get(column, [])
        assert len(names) == 1, (column, names)
        index = next(i for i in model._meta.indexes if i.name == names[0])
        assert index.condition is not None, names[0]


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Communication.objects.filter(lead_id=1), "communication_lead"),
        (lambda: Communication.objects.filter(contact_id__in=[1, 2]), "communication_contact"),
        (
            lambda: TimelineEntry.objects.filter(lead_id=1).order_by("-is_pinned", "-created_at"),
            "timeline_lead",
        ),
        (lambda: TimelineEntry.objects.filter(deal_id__in=[1, 2]), "timeline_deal"),
        (lambda: Lead.objects.filter(company_id=1), "lead_company"),
        (lambda: StageHistory.objects.filter(from_stage_id__in=[1, 2]), "history_from_stage"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_item_lookups_use_the_partial_indexes(queryset, index):
    # `column = …` and `column IN (…)` imply `column IS NOT NULL`, so both databases can use them
    # (item pages, prefetches, cascading deletes, a stage's deletion).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # empty tables: a scan would win
    assert re.search(rf"\b{index}\b", queryset().explain())  # not crm_communication_lead_id_…


@pytest.mark.parametrize("table", ["crm_deal", "crm_lead"])
def test_items_creation_time_by_id_comes_from_a_small_index_on_postgresql(table):
    # Time in stage's cycle looks up the creation time of every item closed in the period
    # (migration crm 0009): an index-only scan instead of one heap page per item.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite finds an item by its rowid in one B-tree")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            [table, f"{table}_id_created"],
        )
        (definition,) = cursor.fetchone()
    assert definition.endswith("(id) INCLUDE (created_at)")
