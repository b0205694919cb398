import pytest

from voronka.crm.services.deals import create_deal
from voronka.crm.services.pipelines import (
    add_stage,
    create_pipeline,
    delete_pipeline,
    delete_stage,
    reorder_stages,
    update_stage,
)
from voronka.lib.errors import Forbidden, Invalid, Refused

pytestmark = pytest.mark.django_db


def codes(pipeline):
    return [s.code for s in pipeline.stages.order_by("sort")]


def test_a_pipeline_with_six_stages_and_a_reorder(admin):
    pipeline = create_pipeline(
        name="Projects",
        actor=admin,
        stages=[
            ("Brief", "open"),
            ("Estimate", "open"),
            ("Proposal", "open"),
            ("Contract", "open"),
            ("Signed", "won"),
            ("Rejected", "lost"),
        ],
    )
    stages = list(pipeline.stages.order_by("sort"))
    assert [s.name for s in stages] == ["Brief", "Estimate", "Proposal", "Contract", "Signed", "Rejected"]

    order = [s.pk for s in stages]
    order[1], order[2] = order[2], order[1]
    reorder_stages(pipeline, order=order, actor=admin)

    assert [s.name for s in pipeline.stages.order_by("sort")][:3] == ["Brief", "Proposal", "Estimate"]


@pytest.mark.parametrize(
    "stages",
    [
        [("A", "open"), ("B", "lost")],  # no won stage
        [("A", "open"), ("W", "won"), ("W2", "won"), ("L", "lost")],
        [("W", "won"), ("L", "lost")],  # nothing in progress
        [("A", "open"), ("W", "won")],  # no loss reason
        [("A", "open"), ("L", "lost"), ("W", "won")],  # lost before won
        [("", "open"), ("W", "won"), ("L", "lost")],
    ],
)
def test_badly_shaped_pipelines_are_refused(admin, stages):
    with pytest.raises(Invalid):
        create_pipeline(name="Bad", actor=admin, stages=stages)


def test_reorder_cannot_put_a_lost_stage_first(admin, general_pipeline):
    stages = list(general_pipeline.stages.order_by("sort"))
    with pytest.raises(Invalid):
        reorder_stages(general_pipeline, order=[stages[-1].pk] + [s.pk for s in stages[:-1]], actor=admin)
    assert codes(general_pipeline)[0] == "NEW"


def test_a_stage_with_items_cannot_be_deleted(admin, manager, general_pipeline):
    deal = create_deal(actor=manager, title="D")
    with pytest.raises(Refused) as refusal:
        delete_stage(deal.stage, actor=admin)
    assert refusal.value.details == {"count": 1}
    with pytest.raises(Refused):
        update_stage(deal.stage, actor=admin, semantics="lost")
    with pytest.raises(Refused):
        delete_pipeline(general_pipeline, actor=admin)


def test_add_rename_and_delete_a_stage(admin, general_pipeline):
    stage = add_stage(
        general_pipeline,
        name="Price agreed",
        actor=admin,
        after=general_pipeline.stages.get(code="PREPARATION"),
    )
    assert codes(general_pipeline)[2] == stage.code
    update_stage(stage, actor=admin, name="Price approved", color="#aa00cc")
    stage.refresh_from_db()
    assert (stage.title, stage.color) == ("Price approved", "#AA00CC")
    delete_stage(stage, actor=admin)
    assert stage.code not in codes(general_pipeline)


def test_renamed_built_in_names_stop_being_translated(admin, general_pipeline):
    from django.utils import translation

    new = general_pipeline.stages.get(code="NEW")
    with translation.override("ru"):
        assert new.title == "Новая"
    update_stage(new, actor=admin, name="Fresh")
    with translation.override("ru"):
        assert new.title == "Fresh"


def test_only_administrators_configure(manager, general_pipeline):
    with pytest.raises(Forbidden):
        create_pipeline(name="X", actor=manager)
    with pytest.raises(Forbidden):
        add_stage(general_pipeline, name="X", actor=manager)
