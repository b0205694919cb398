"""The stage history's left_at, won_at and lost_at: kept by triggers on every path, and backfilled."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from voronka.accounts.services import create_user
from voronka.crm import bulk_insert, stays
from voronka.crm.models import Deal, Lead, Stage, StageHistory
from voronka.crm.selectors.pipelines import default_deal_pipeline, lead_pipeline
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.crm.services.pipelines import create_pipeline
from voronka.crm.services.stages import move

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def expected_stays() -> dict[int, tuple]:
    """Row id → (left_at, won_at, lost_at) computed in Python from the rows, as the reports define them."""
    semantics = dict(Stage.objects.values_list("pk", "semantics"))
    rows = list(
        StageHistory.objects.values("pk", "deal_id", "lead_id", "pipeline_id", "to_stage_id", "moved_at")
    )
    by_item: dict[tuple, list[dict]] = {}
    for row in rows:
        by_item.setdefault((row["deal_id"], row["lead_id"]), []).append(row)
    result = {}
    for entries in by_item.values():
        entries.sort(key=lambda r: (r["moved_at"], r["pk"]))
        for index, row in enumerate(entries):
            later = entries[index + 1 :]
            closing = {
                kind: min(
                    (
                        r["moved_at"]
                        for r in later
                        if r["pipeline_id"] == row["pipeline_id"] and semantics[r["to_stage_id"]] == kind
                    ),
                    default=None,
                )
                for kind in ("won", "lost")
            }
            result[row["pk"]] = (later[0]["moved_at"] if later else None, closing["won"], closing["lost"])
    return result


def stored_stays() -> dict[int, tuple]:
    return {
        pk: (left, won, lost)
        for pk, left, won, lost in StageHistory.objects.values_list("pk", "left_at", "won_at", "lost_at")
    }


def new_deal(pipeline, stage) -> Deal:
    return Deal.objects.create(
        title="Deal", pipeline=pipeline, stage=stage, amount=Decimal(1), currency="RUB"
    )


def row(deal, stage, moved_at) -> StageHistory:
    return StageHistory(deal=deal, pipeline_id=stage.pipeline_id, to_stage=stage, moved_at=moved_at)


def stage(pipeline, code) -> Stage:
    return pipeline.stages.get(code=code)


def test_moving_a_deal_through_the_services_sets_when_each_stay_ended(general_pipeline, admin):
    # given
    deal = create_deal(actor=admin, title="Roof", pipeline=general_pipeline)
    # when
    deal = move(deal, to=stage(general_pipeline, "PREPARATION"), actor=admin)
    move(deal, to=stage(general_pipeline, "WON"), actor=admin)
    # then
    entries = list(StageHistory.objects.filter(deal=deal).order_by("moved_at", "pk"))
    assert [e.to_stage.code for e in entries] == ["NEW", "PREPARATION", "WON"]
    assert [e.left_at for e in entries] == [entries[1].moved_at, entries[2].moved_at, None]
    assert [e.won_at for e in entries] == [entries[2].moved_at, entries[2].moved_at, None]
    assert [e.lost_at for e in entries] == [None, None, None]
    assert stored_stays() == expected_stays()


def test_bulk_create_in_any_order_gives_every_row_its_stay(general_pipeline):
    # given: rows of two deals, the past inserted after the present, a loss, a reopening and a win
    g = general_pipeline
    first, second = new_deal(g, stage(g, "NEW")), new_deal(g, stage(g, "NEW"))
    # when
    StageHistory.objects.bulk_create(
        [
            row(first, stage(g, "WON"), hours(50)),
            row(first, stage(g, "NEW"), hours(0)),
            row(second, stage(g, "NEW"), hours(1)),
            row(first, stage(g, "LOSE"), hours(10)),
            row(first, stage(g, "PREPARATION"), hours(20)),
            row(second, stage(g, "APOLOGY"), hours(2)),
        ]
    )
    # then
    stays_of_first = list(
        StageHistory.objects.filter(deal=first)
        .order_by("moved_at")
        .values_list("left_at", "won_at", "lost_at")
    )
    assert stays_of_first == [
        (hours(10), hours(50), hours(10)),
        (hours(20), hours(50), None),
        (hours(50), hours(50), None),
        (None, None, None),
    ]
    assert stored_stays() == expected_stays()


def test_raw_sql_inserts_are_seen_like_the_orm(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g, stage(g, "NEW"))
    table = StageHistory._meta.db_table
    values = [
        (deal.pk, g.pk, stage(g, code).pk, hours(n))
        for code, n in (("NEW", 0), ("PREPARATION", 5), ("LOSE", 7))
    ]
    # when
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(
                f"INSERT INTO {table} (deal_id, pipeline_id, to_stage_id, moved_at, is_backward, reason) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, FALSE, '')",
                [*value[:3], connection.ops.adapt_datetimefield_value(value[3])],
            )
    # then
    assert list(
        StageHistory.objects.filter(deal=deal).order_by("moved_at").values_list("left_at", "lost_at")
    ) == [(hours(5), hours(7)), (hours(7), hours(7)), (None, None)]


def test_equal_times_follow_the_row_order(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g, stage(g, "NEW"))
    # when: two entries at the same moment; the later id is the later entry
    StageHistory.objects.bulk_create(
        [row(deal, stage(g, "NEW"), hours(0)), row(deal, stage(g, "WON"), hours(0))]
    )
    # then
    assert stored_stays() == expected_stays()
    first = StageHistory.objects.filter(deal=deal).order_by("pk").first()
    assert (first.left_at, first.won_at) == (hours(0), hours(0))


def test_deleting_a_row_in_the_middle_mends_its_neighbours(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g, stage(g, "NEW"))
    StageHistory.objects.bulk_create(
        [
            row(deal, stage(g, "NEW"), hours(0)),
            row(deal, stage(g, "LOSE"), hours(3)),
            row(deal, stage(g, "PREPARATION"), hours(6)),
            row(deal, stage(g, "APOLOGY"), hours(9)),
        ]
    )
    # when
    StageHistory.objects.filter(deal=deal, moved_at=hours(3)).delete()
    # then
    assert list(
        StageHistory.objects.filter(deal=deal).order_by("moved_at").values_list("left_at", "lost_at")
    ) == [(hours(6), hours(9)), (hours(9), hours(9)), (None, None)]
    assert stored_stays() == expected_stays()


def test_deleting_a_deal_leaves_the_others_untouched(general_pipeline):
    # given
    g = general_pipeline
    kept, gone = new_deal(g, stage(g, "NEW")), new_deal(g, stage(g, "NEW"))
    StageHistory.objects.bulk_create(
        [row(d, stage(g, code), hours(n)) for d in (kept, gone) for code, n in (("NEW", 0), ("WON", 4))]
    )
    before = {
        pk: value
        for pk, value in stored_stays().items()
        if StageHistory.objects.get(pk=pk).deal_id == kept.pk
    }
    # when
    gone.delete()
    # then
    assert stored_stays() == before == expected_stays()


def test_a_stage_turned_lost_counts_as_a_loss_for_the_rows_before_it(general_pipeline, admin):
    # given: entries into an open stage that then becomes a loss reason (it holds no items now)
    g = general_pipeline
    deal = new_deal(g, stage(g, "NEW"))
    StageHistory.objects.bulk_create(
        [
            row(deal, stage(g, "NEW"), hours(0)),
            row(deal, stage(g, "EXECUTING"), hours(2)),
            row(deal, stage(g, "PREPARATION"), hours(4)),
        ]
    )
    # when
    Stage.objects.filter(pipeline=g, code="EXECUTING").update(semantics=Stage.Semantics.LOST)
    # then
    assert StageHistory.objects.get(deal=deal, moved_at=hours(0)).lost_at == hours(2)
    assert stored_stays() == expected_stays()


def test_a_deal_moved_to_another_pipeline_counts_closings_of_each_rows_own_pipeline(general_pipeline, admin):
    # given
    from voronka.crm.services.pipelines import create_pipeline

    g = general_pipeline
    other = create_pipeline(name="Wholesale", actor=admin)
    deal = new_deal(g, stage(g, "NEW"))
    won_there = other.stages.get(semantics="won")
    # when
    StageHistory.objects.bulk_create(
        [
            row(deal, stage(g, "NEW"), hours(0)),
            row(deal, other.stages.order_by("sort").first(), hours(1)),
            row(deal, won_there, hours(2)),
        ]
    )
    # then: the General entry left at the move, and was never won in General
    first = StageHistory.objects.get(deal=deal, moved_at=hours(0))
    assert (first.left_at, first.won_at) == (hours(1), None)
    assert stored_stays() == expected_stays()


@pytest.mark.parametrize("seed", range(4))
def test_triggers_and_the_backfill_give_the_windows_values_on_random_histories(general_pipeline, seed):
    # given: random histories inserted in random order, in batches, with some rows deleted
    rng = random.Random(seed)
    g = general_pipeline
    stages = list(g.stages.all())
    deals = [new_deal(g, stages[0]) for _ in range(12)]
    rows = [row(rng.choice(deals), rng.choice(stages), hours(rng.randrange(0, 40))) for _ in range(120)]
    rng.shuffle(rows)
    for start in range(0, len(rows), 17):
        StageHistory.objects.bulk_create(rows[start : start + 17])
    doomed = rng.sample([r.pk for r in StageHistory.objects.all()], 15)
    for pk in doomed:
        StageHistory.objects.filter(pk=pk).delete()
    # then: the triggers kept the values
    reference = expected_stays()
    assert stored_stays() == reference
    # when: the columns are wiped and backfilled
    StageHistory.objects.update(left_at=None, won_at=None, lost_at=None)
    assert set(stored_stays().values()) == {(None, None, None)}
    with connection.cursor() as cursor:
        cursor.execute(stays.backfill_sql())
    # then
    assert stored_stays() == reference


def test_values_given_on_insert_are_put_right(general_pipeline):
    # given
    g = general_pipeline
    deal = new_deal(g, stage(g, "NEW"))
    wrong = hours(99)
    # when: a loader supplies stays of its own, wrong ones
    StageHistory.objects.bulk_create(
        [
            StageHistory(deal=deal, pipeline=g, to_stage=stage(g, "NEW"), moved_at=hours(0), left_at=wrong),
            StageHistory(deal=deal, pipeline=g, to_stage=stage(g, "WON"), moved_at=hours(1), won_at=wrong),
        ]
    )
    # then
    assert stored_stays() == expected_stays()


def test_the_bulk_writer_in_several_statements_gives_every_row_its_stay(general_pipeline, monkeypatch):
    # given: a statement of at most two rows on SQLite (COPY on PostgreSQL), the past after the present
    monkeypatch.setattr(bulk_insert, "SQLITE_ROWS", 2)
    g = general_pipeline
    first, second = new_deal(g, stage(g, "NEW")), new_deal(g, stage(g, "NEW"))
    entries = [
        (first, "WON", 50),
        (first, "NEW", 0),
        (second, "NEW", 1),
        (first, "LOSE", 10),
        (first, "PREPARATION", 20),
        (second, "APOLOGY", 2),
        (second, "NEW", 3),
    ]
    # when
    bulk_insert.insert(
        StageHistory,
        ("deal_id", "pipeline_id", "to_stage_id", "moved_at", "is_backward", "reason"),
        [(deal.pk, g.pk, stage(g, code).pk, hours(n), False, "") for deal, code, n in entries],
    )
    # then: every row, in the order given
    assert list(StageHistory.objects.order_by("pk").values_list("deal_id", "moved_at")) == [
        (deal.pk, hours(n)) for deal, _code, n in entries
    ]
    assert stored_stays() == expected_stays()


def test_a_deal_restored_from_the_recycle_bin_gets_its_stays_back(general_pipeline, admin):
    # given
    from voronka.crm.services.recycle import delete_item, restore

    deal = create_deal(actor=admin, title="Roof", pipeline=general_pipeline)
    deal = move(deal, to=stage(general_pipeline, "PREPARATION"), actor=admin)
    move(deal, to=stage(general_pipeline, "LOSE"), actor=admin, reason="price")
    entry = delete_item(Deal.objects.get(pk=deal.pk), actor=admin)
    assert stored_stays() == {}
    # when
    restore(entry, actor=admin)
    # then: (the snapshot keeps times to the millisecond, so they are compared with the restored rows)
    restored = stored_stays()
    assert len(restored) == 3
    assert sum(1 for left, _won, lost in restored.values() if left and lost) == 2
    assert restored == expected_stays()


def backfilled_stays() -> dict[int, tuple]:
    """Row id -> (left_at, won_at, lost_at) as `stays.backfill_sql()` computes them from scratch
    (in a savepoint, rolled back: the stored values stay as the triggers left them)."""
    with transaction.atomic():
        point = transaction.savepoint()
        StageHistory.objects.update(left_at=None, won_at=None, lost_at=None)
        with connection.cursor() as cursor:
            cursor.execute(stays.backfill_sql())
        values = stored_stays()
        transaction.savepoint_rollback(point)
    return values


def test_a_new_items_first_row_and_its_moves(general_pipeline):
    # given: a first row, appended moves (one into a lost stage, one into a won stage), and a row
    # for another item in between
    g = general_pipeline
    deal, other = new_deal(g, stage(g, "NEW")), new_deal(g, stage(g, "NEW"))
    StageHistory.objects.create(deal=deal, pipeline=g, to_stage=stage(g, "NEW"), moved_at=hours(0))
    assert stored_stays() == backfilled_stays() == expected_stays()
    # when
    for n, code in ((1, "PREPARATION"), (2, "LOSE"), (3, "EXECUTING"), (4, "WON")):
        StageHistory.objects.create(deal=deal, pipeline=g, to_stage=stage(g, code), moved_at=hours(n))
        StageHistory.objects.create(deal=other, pipeline=g, to_stage=stage(g, code), moved_at=hours(n + 0.5))
        # then
        assert stored_stays() == backfilled_stays() == expected_stays()
    assert list(
        StageHistory.objects.filter(deal=deal)
        .order_by("moved_at")
        .values_list("left_at", "won_at", "lost_at")
    ) == [
        (hours(1), hours(4), hours(2)),
        (hours(2), hours(4), hours(2)),
        (hours(3), hours(4), None),
        (hours(4), hours(4), None),
        (None, None, None),
    ]


def test_one_statement_of_new_items_rows_and_of_several_rows_of_one_item(general_pipeline, lead_statuses):
    # given: one COPY (PostgreSQL) / multi-row INSERT (SQLite) with lone creation rows of new deals
    # and leads, and a whole history of one deal, out of order, among them
    g = general_pipeline
    deals = [new_deal(g, stage(g, "NEW")) for _ in range(4)]
    lead = Lead.objects.create(
        title="Lead", status=lead_statuses.stages.order_by("sort").first(), currency="RUB"
    )
    entries = [
        (deals[0], "NEW", 0),
        (deals[3], "WON", 9),
        (deals[1], "NEW", 0),
        (lead, None, 1),
        (deals[3], "NEW", 2),
        (deals[2], "NEW", 3),
        (deals[3], "LOSE", 5),
        (deals[3], "NEW", 5),
    ]
    # when
    bulk_insert.insert(
        StageHistory,
        ("deal_id", "lead_id", "pipeline_id", "to_stage_id", "moved_at", "is_backward", "reason"),
        [
            (None, item.pk, lead.status.pipeline_id, lead.status_id, hours(n), False, "")
            if item is lead
            else (item.pk, None, g.pk, stage(g, code).pk, hours(n), False, "")
            for item, code, n in entries
        ],
    )
    # then
    assert stored_stays() == backfilled_stays() == expected_stays()
    assert list(
        StageHistory.objects.filter(deal=deals[3])
        .order_by("moved_at", "pk")
        .values_list("left_at", "won_at", "lost_at")
    ) == [
        (hours(5), hours(9), hours(5)),
        (hours(5), hours(9), None),
        (hours(9), hours(9), None),
        (None, None, None),
    ]
    others = StageHistory.objects.exclude(deal=deals[3]).values_list("left_at", "won_at", "lost_at")
    assert set(others) == {(None, None, None)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement trigger")
def test_postgresql_runs_the_trigger_once_per_statement(general_pipeline):
    # given: the function calls counted in this transaction
    g = general_pipeline
    deals = [new_deal(g, stage(g, "NEW")) for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
    # when: three new deals' creation rows in one statement, then a move
    StageHistory.objects.bulk_create([row(deal, stage(g, "NEW"), hours(0)) for deal in deals])
    StageHistory.objects.create(deal=deals[0], pipeline=g, to_stage=stage(g, "WON"), moved_at=hours(1))
    # then
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT funcname, calls FROM pg_stat_xact_user_functions WHERE funcname LIKE %s",
            [f"{StageHistory._meta.db_table}_stays%"],
        )
        calls = dict(cursor.fetchall())
    assert calls == {f"{StageHistory._meta.db_table}_stays_insert": 2}
    assert stored_stays() == backfilled_stays() == expected_stays()


# The operations of the property test below, on three deals (two pipelines) and two leads.
moments = st.integers(0, 6)
new_rows = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 20), moments, st.booleans()), min_size=1, max_size=6
)
operations = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["copy", "orm", "one by one"]), new_rows),
        st.tuples(st.just("delete"), st.lists(st.integers(0, 1000), min_size=1, max_size=3)),
        st.tuples(st.just("delete item"), st.integers(0, 4)),
        st.tuples(st.just("semantics"), st.integers(0, 20), st.sampled_from(list(Stage.Semantics))),
    ),
    min_size=1,
    max_size=8,
)


class TestTriggersAgainstTheBackfill(TestCase):
    """Random histories written every way, with deletes and semantics changes: after each step the
    trigger-kept columns are what `backfill_sql` computes from scratch."""

    @classmethod
    def setUpTestData(cls):
        admin = create_user(username="stays", role="administrator", is_superuser=True)
        cls.general = default_deal_pipeline()
        cls.other = create_pipeline(name="Wholesale", actor=admin)
        cls.statuses = lead_pipeline()
        cls.deal_stages = [*cls.general.stages.order_by("sort"), *cls.other.stages.order_by("sort")]
        cls.lead_stages = list(cls.statuses.stages.order_by("sort"))
        cls.deals = [new_deal(cls.general, cls.deal_stages[0]) for _ in range(3)]
        cls.leads = [create_lead(actor=admin, title=f"Lead {n}") for n in range(2)]
        StageHistory.objects.all().delete()

    def history_row(self, item: int, stage_pick: int, moment: int, given: bool) -> StageHistory:
        if item < len(self.deals):
            to = self.deal_stages[stage_pick % len(self.deal_stages)]
            owner = {"deal_id": self.deals[item].pk}
        else:
            to = self.lead_stages[stage_pick % len(self.lead_stages)]
            owner = {"lead_id": self.leads[item - len(self.deals)].pk}
        return StageHistory(
            **owner,
            pipeline_id=to.pipeline_id,
            to_stage=to,
            moved_at=hours(moment),
            left_at=hours(99) if given else None,  # a loader's wrong value, put right
        )

    def apply(self, kind: str, argument, extra=None) -> None:
        if kind in ("copy", "orm", "one by one"):
            entries = [self.history_row(*picked) for picked in argument]
            if kind == "orm":
                StageHistory.objects.bulk_create(entries)
            elif kind == "one by one":
                for entry in entries:
                    entry.save()
            else:
                columns = (
                    "deal_id",
                    "lead_id",
                    "pipeline_id",
                    "to_stage_id",
                    "moved_at",
                    "left_at",
                    "is_backward",
                )
                bulk_insert.insert(
                    StageHistory,
                    (*columns, "reason"),
                    [(*(getattr(e, c) for c in columns), "") for e in entries],
                )
        elif kind == "delete":
            ids = list(StageHistory.objects.order_by("pk").values_list("pk", flat=True))
            if ids:
                StageHistory.objects.filter(pk__in=[ids[i % len(ids)] for i in argument]).delete()
        elif kind == "delete item":
            if argument < len(self.deals):
                StageHistory.objects.filter(deal=self.deals[argument]).delete()
            else:
                StageHistory.objects.filter(lead=self.leads[argument - len(self.deals)]).delete()
        else:
            stages = [*self.deal_stages, *self.lead_stages]
            Stage.objects.filter(pk=stages[argument % len(stages)].pk).update(semantics=extra)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=operations)
    def test_every_step_keeps_the_backfills_values(self, steps):
        for step in steps:
            self.apply(*step)
            assert stored_stays() == backfilled_stays()
        assert stored_stays() == expected_stays()
