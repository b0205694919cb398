import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from voronka.accounts.services import create_user
from voronka.crm.errors import MoveRefused
from voronka.crm.events import StageChanged
from voronka.crm.models import StageHistory
from voronka.crm.selectors.pipelines import default_deal_pipeline, lead_pipeline
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.crm.services.pipelines import create_pipeline
from voronka.crm.services.stages import change_pipeline, move, reopen
from voronka.lib.errors import Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(manager):
    return create_lead(actor=manager, title="Pump delivery", phones=["+7 495 109 63 75"])


@pytest.fixture
def deal(manager, general_pipeline):
    return create_deal(actor=manager, title="Pump delivery", pipeline=general_pipeline)


def stage(pipeline, code):
    return pipeline.stages.get(code=code)


def test_forward_move_appends_history_and_publishes_stage_changed(lead, manager, lead_statuses, published):
    in_process = stage(lead_statuses, "IN_PROCESS")
    published.clear()

    lead = move(lead, to=in_process, actor=manager)

    created, moved = lead.stage_history.order_by("pk")
    assert (created.to_stage.code, moved.from_stage.code, moved.to_stage.code) == ("NEW", "NEW", "IN_PROCESS")
    assert moved.assigned_to == manager and not moved.is_backward
    assert published == [
        StageChanged(
            kind="lead",
            item_id=lead.pk,
            entry_id=moved.pk,
            from_stage_id=created.to_stage_id,
            to_stage_id=in_process.pk,
            actor_id=manager.pk,
        )
    ]
    assert lead.timeline.filter(kind="stage_changed").count() == 1


def test_backward_move_without_the_right_is_refused_and_leaves_no_trace(
    deal, manager, general_pipeline, published
):
    move(deal, to=stage(general_pipeline, "EXECUTING"), actor=manager)
    published.clear()

    with pytest.raises(MoveRefused) as refusal:
        move(deal, to=stage(general_pipeline, "PREPARATION"), actor=manager, reason="client asked")

    assert refusal.value.code == "stage.backward_forbidden"
    deal.refresh_from_db()
    assert deal.stage.code == "EXECUTING"
    assert deal.stage_history.count() == 2
    assert published == []


def test_backward_move_with_the_right_needs_a_reason(lead, head, lead_statuses):
    lead = move(lead, to=stage(lead_statuses, "PROCESSED"), actor=head)
    with pytest.raises(MoveRefused) as refusal:
        move(lead, to=stage(lead_statuses, "NEW"), actor=head)
    assert refusal.value.code == "stage.reason_required"

    lead = move(lead, to=stage(lead_statuses, "NEW"), actor=head, reason="wrong status")

    last = lead.stage_history.order_by("pk").last()
    assert last.is_backward and last.reason == "wrong status"


def test_junk_needs_a_reason_and_closes_the_lead(lead, manager, lead_statuses):
    junk = stage(lead_statuses, "JUNK")
    with pytest.raises(MoveRefused) as refusal:
        move(lead, to=junk, actor=manager)
    assert refusal.value.code == "stage.loss_reason_required"
    lead.refresh_from_db()
    assert not lead.is_closed

    lead = move(lead, to=junk, actor=manager, reason="spam")
    assert lead.is_closed and lead.closed_at is not None


def test_a_closed_item_is_not_moved_but_reopened(deal, head, general_pipeline):
    deal = move(deal, to=stage(general_pipeline, "WON"), actor=head)
    assert deal.is_closed
    with pytest.raises(MoveRefused) as refusal:
        move(deal, to=stage(general_pipeline, "EXECUTING"), actor=head, reason="x")
    assert refusal.value.code == "stage.item_closed"

    deal = reopen(deal, actor=head, reason="signed the wrong contract")

    assert not deal.is_closed and deal.closed_at is None
    assert deal.stage.code == "FINAL_INVOICE"
    assert deal.stage_history.order_by("pk").last().is_backward


def test_a_manager_cannot_reopen(deal, manager, general_pipeline):
    deal = move(deal, to=stage(general_pipeline, "LOSE"), actor=manager, reason="price")
    with pytest.raises(MoveRefused):
        reopen(deal, actor=manager, reason="changed mind")


def test_a_lead_reaches_converted_only_by_conversion(lead, head, lead_statuses):
    with pytest.raises(MoveRefused) as refusal:
        move(lead, to=stage(lead_statuses, "CONVERTED"), actor=head)
    assert refusal.value.code == "stage.convert_instead"


def test_a_move_stays_in_the_pipeline(deal, manager, lead_statuses):
    with pytest.raises(MoveRefused) as refusal:
        move(deal, to=stage(lead_statuses, "IN_PROCESS"), actor=manager)
    assert refusal.value.code == "stage.foreign_pipeline"


def test_a_manager_cannot_move_a_colleagues_deal(deal, colleague, general_pipeline):
    with pytest.raises(Forbidden):
        move(deal, to=stage(general_pipeline, "PREPARATION"), actor=colleague)


def test_a_deal_changes_pipeline_into_its_first_stage(deal, admin, manager):
    other = create_pipeline(name="Wholesale", actor=admin)
    deal = change_pipeline(deal, pipeline=other, actor=manager)
    assert deal.pipeline == other and deal.stage.code == "NEW" and deal.stage.pipeline == other
    assert deal.stage_history.order_by("pk").last().pipeline == other


class TestStageOrderProperties(TestCase):
    """Random walks over the lead statuses: the history and the closing rule always hold."""

    @classmethod
    def setUpTestData(cls):
        cls.manager = create_user(username="walker", role="manager")
        cls.head = create_user(username="boss", role="head_of_sales")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(steps=st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.booleans()), max_size=8))
    def test_random_moves(self, steps):
        pipeline = lead_pipeline()
        stages = list(pipeline.stages.order_by("sort"))
        lead = create_lead(actor=self.manager, title="walk")
        accepted = 1
        for index, as_head, with_reason in steps:
            target = stages[index]
            actor = self.head if as_head else self.manager
            before = lead.status
            try:
                lead = move(lead, to=target, actor=actor, reason="because" if with_reason else "")
            except (MoveRefused, Forbidden):
                lead.refresh_from_db()
                assert lead.status == before
                continue
            if target != before:
                accepted += 1
                backward = (target.sort, target.pk) < (before.sort, before.pk)
                assert not backward or (as_head and with_reason)
                assert not target.is_lost or with_reason
                assert not target.is_won
            assert lead.is_closed == target.closes_items
        rows = list(StageHistory.objects.filter(lead=lead).order_by("pk"))
        assert len(rows) == accepted
        assert rows[-1].to_stage_id == lead.status_id
        for previous, row in itertools.pairwise(rows):
            assert row.from_stage_id == previous.to_stage_id


def test_default_pipeline_stage_order_is_open_then_won_then_lost(db):
    semantics = [s.semantics for s in default_deal_pipeline().stages.order_by("sort")]
    assert semantics == ["open"] * 5 + ["won"] + ["lost"] * 2
