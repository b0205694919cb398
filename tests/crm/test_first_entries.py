"""The stage history's first_entry_at: kept by triggers on every path, and backfilled."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection

from voronka.crm import first_entries
from voronka.crm.models import Deal, Lead, StageHistory
from voronka.crm.services.deals import create_deal
from voronka.crm.services.stages import move

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def expected() -> dict[int, dt.datetime]:
    """Row id → the earliest moved_at of its item's rows in its pipeline, computed in Python."""
    rows = list(StageHistory.objects.values_list("pk", "deal_id", "lead_id", "pipeline_id", "moved_at"))
    earliest: dict[tuple, dt.datetime] = {}
    for _pk, deal, lead, pipeline, moved_at in rows:
        key = (deal, lead, pipeline)
        earliest[key] = min(earliest.get(key, moved_at), moved_at)
    return {pk: earliest[(deal, lead, pipeline)] for pk, deal, lead, pipeline, _at in rows}


def stored() -> dict[int, dt.datetime | None]:
    return dict(StageHistory.objects.values_list("pk", "first_entry_at"))


def new_deal(pipeline) -> Deal:
    return Deal.objects.create(
        title="Deal",
        pipeline=pipeline,
        stage=pipeline.stages.order_by("sort").first(),
        amount=Decimal(1),
        currency="RUB",
    )


def row(deal, stage, moved_at) -> StageHistory:
    return StageHistory(deal=deal, pipeline_id=stage.pipeline_id, to_stage=stage, moved_at=moved_at)


def test_moving_a_deal_through_the_services_keeps_its_creation_as_first_entry(general_pipeline, admin):
    # given
    deal = create_deal(actor=admin, title="Roof", pipeline=general_pipeline)
    # when
    deal = move(deal, to=general_pipeline.stages.get(code="PREPARATION"), actor=admin)
    move(deal, to=general_pipeline.stages.get(code="WON"), actor=admin)
    # then
    entries = list(StageHistory.objects.filter(deal=deal).order_by("moved_at", "pk"))
    assert {e.first_entry_at for e in entries} == {entries[0].moved_at}
    assert stored() == expected()


def test_a_past_row_imported_later_moves_the_first_entry_of_the_items_rows_in_its_pipeline_only(
    general_pipeline, admin
):
    # given: a deal in General, then in another pipeline
    from voronka.crm.services.pipelines import create_pipeline

    g = general_pipeline
    other = create_pipeline(name="Wholesale", actor=admin)
    deal = new_deal(g)
    StageHistory.objects.bulk_create(
        [
            row(deal, g.stages.get(code="NEW"), hours(10)),
            row(deal, other.stages.order_by("sort").first(), hours(20)),
        ]
    )
    # when: its past in General arrives afterwards
    StageHistory.objects.bulk_create([row(deal, g.stages.get(code="PREPARATION"), hours(1))])
    # then
    assert sorted(
        StageHistory.objects.filter(deal=deal).values_list("pipeline_id", "first_entry_at")
    ) == sorted([(g.pk, hours(1)), (g.pk, hours(1)), (other.pk, hours(20))])
    assert stored() == expected()


def test_deleting_the_first_entry_gives_the_rows_the_next_one(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g)
    StageHistory.objects.bulk_create(
        [
            row(deal, g.stages.get(code=code), hours(n))
            for code, n in (("NEW", 0), ("PREPARATION", 3), ("WON", 6))
        ]
    )
    # when
    StageHistory.objects.filter(deal=deal, moved_at=hours(0)).delete()
    # then
    assert set(StageHistory.objects.filter(deal=deal).values_list("first_entry_at", flat=True)) == {hours(3)}
    assert stored() == expected()


def test_values_given_on_insert_are_put_right_and_raw_sql_is_seen(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g)
    # when: a loader supplies a wrong value, and a raw INSERT none
    StageHistory.objects.bulk_create(
        [
            StageHistory(
                deal=deal,
                pipeline=g,
                to_stage=g.stages.get(code="NEW"),
                moved_at=hours(5),
                first_entry_at=hours(99),
            )
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StageHistory._meta.db_table} (deal_id, pipeline_id, to_stage_id, moved_at, is_backward, reason) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, FALSE, '')",
            [deal.pk, g.pk, g.stages.get(code="WON").pk, connection.ops.adapt_datetimefield_value(hours(2))],
        )
    # then
    assert set(stored().values()) == {hours(2)}
    assert stored() == expected()


def test_leads_have_their_own(admin):
    # given
    from voronka.crm.selectors.pipelines import lead_pipeline

    pipeline = lead_pipeline()
    stages = list(pipeline.stages.order_by("sort"))
    lead = Lead.objects.create(title="Lead", status=stages[0], amount=Decimal(1), currency="RUB")
    # when
    StageHistory.objects.bulk_create(
        [
            StageHistory(lead=lead, pipeline=pipeline, to_stage=s, moved_at=hours(9 - i))
            for i, s in enumerate(stages[:3])
        ]
    )
    # then
    assert set(StageHistory.objects.filter(lead=lead).values_list("first_entry_at", flat=True)) == {hours(7)}
    assert stored() == expected()


def test_a_deal_restored_from_the_recycle_bin_gets_its_first_entry_back(general_pipeline, admin):
    # given
    from voronka.crm.services.recycle import delete_item, restore

    deal = create_deal(actor=admin, title="Roof", pipeline=general_pipeline)
    move(deal, to=general_pipeline.stages.get(code="PREPARATION"), actor=admin)
    entry = delete_item(Deal.objects.get(pk=deal.pk), actor=admin)
    assert stored() == {}
    # when
    restore(entry, actor=admin)
    # then
    assert len(stored()) == 2
    assert stored() == expected()


@pytest.mark.parametrize("seed", range(4))
def test_triggers_and_the_backfill_agree_with_python_on_random_histories(general_pipeline, admin, seed):
    # given: random histories over two pipelines inserted in random order, in batches, some deleted
    from voronka.crm.services.pipelines import create_pipeline

    rng = random.Random(seed)
    other = create_pipeline(name="Wholesale", actor=admin)
    stages = list(general_pipeline.stages.all()) + list(other.stages.all())
    deals = [new_deal(general_pipeline) for _ in range(10)]
    rows = [row(rng.choice(deals), rng.choice(stages), hours(rng.randrange(0, 40))) for _ in range(120)]
    rng.shuffle(rows)
    for start in range(0, len(rows), 17):
        StageHistory.objects.bulk_create(rows[start : start + 17])
    for pk in rng.sample(sorted(stored()), 25):
        StageHistory.objects.filter(pk=pk).delete()
    StageHistory.objects.filter(deal=deals[0]).delete()
    # then: the triggers kept the values
    reference = expected()
    assert stored() == reference
    # when: the column is wiped and backfilled
    StageHistory.objects.update(first_entry_at=None)
    with connection.cursor() as cursor:
        cursor.execute(first_entries.backfill_sql())
    # then
    assert stored() == reference


def test_suspended_triggers_are_made_good_by_resume(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g)
    immediate = "SET CONSTRAINTS ALL IMMEDIATE"  # (PostgreSQL alters no table with checks pending)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(immediate)
        first_entries.suspend(cursor, connection.vendor)
    try:
        StageHistory.objects.bulk_create([row(deal, g.stages.get(code="NEW"), hours(n)) for n in (4, 1)])
        assert set(stored().values()) == {None}
    finally:
        # when
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(immediate)
            first_entries.resume(cursor, connection.vendor)
    # then
    assert set(stored().values()) == {hours(1)}
    StageHistory.objects.bulk_create([row(deal, g.stages.get(code="WON"), hours(0))])
    assert stored() == expected()
