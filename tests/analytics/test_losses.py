"""Losses: reasons, where, whose, which source, which month, and the seed's 40% rule."""

import pytest

from tests.analytics.conftest import at
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors.losses import losses
from voronka.crm.models import Pipeline, Source, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def wholesale(db):
    pipeline = Pipeline.objects.create(kind="deal", name="Wholesale", sort=20)
    for sort, (code, name, semantics) in enumerate(
        [
            ("QUALIFIED", "Qualified", "open"),
            ("PROPOSAL", "Proposal sent", "open"),
            ("WON", "Shipped", "won"),
            ("PRICE", "Price did not fit", "lost"),
            ("RIVAL", "Chose a competitor", "lost"),
        ]
    ):
        Stage.objects.create(
            pipeline=pipeline, code=code, name=name, semantics=semantics, sort=(sort + 1) * 10
        )
    return pipeline


def test_losses_by_reason_stage_manager_source_and_month(admin, wholesale, history, manager, colleague):
    # given: 7 losses on price (4 after the proposal, one in April: outside), 4 to a competitor
    call = Source.objects.get(code="CALL")
    for day in range(1, 8):
        path = [("QUALIFIED", f"2025-03-{day:02d} 10:00")]
        if day <= 4:
            path.append(("PROPOSAL", f"2025-03-{day:02d} 12:00"))
        path.append(("PRICE", f"2025-0{3 if day < 7 else 4}-{day + 20:02d} 10:00"))
        history.deal(wholesale, path, assigned_to=manager, source=call, amount="100")
    for day in range(1, 5):
        history.deal(
            wholesale,
            [("QUALIFIED", f"2025-02-{day:02d} 10:00"), ("RIVAL", f"2025-02-{day + 20:02d} 10:00")],
            assigned_to=colleague,
            amount="50",
        )
    report_filter = parse_filter(
        {"pipeline": wholesale.pk, "date_from": "2025-02-01", "date_to": "2025-03-31"},
        now=at("2025-06-01 12:00"),
    )

    # when
    report = losses(admin, report_filter)

    # then: the April loss is outside the period
    assert report.total == 10
    assert [(r.code, r.losses) for r in report.reasons] == [("PRICE", 6), ("RIVAL", 4)]
    assert report.reasons[0].share == pytest.approx(0.6)
    assert str(report.amount) == "800.00"
    stages = {b.label: b.by_reason for b in report.by_stage}
    price, rival = report.reasons[0].stage_id, report.reasons[1].stage_id
    assert stages == {"Proposal sent": {price: 4}, "Qualified": {price: 2, rival: 4}}
    assert {b.key: b.losses for b in report.by_manager} == {manager.pk: 6, colleague.pk: 4}
    assert {b.label: b.losses for b in report.by_source} == {"Call": 6, "—": 4}
    assert [(b.label, b.losses) for b in report.by_month] == [("2025-02", 4), ("2025-03", 6)]
    # a reason above 40% gets the seed's suggestion for price
    assert [f.code for f in report.findings] == ["losses.dominant_price"]
    assert "cheaper product" in report.findings[0].suggestion


def test_a_generic_reason_above_forty_percent_asks_to_qualify_losses(admin, march, history, general_pipeline):
    for day in range(1, 12):
        history.deal(
            general_pipeline,
            [
                ("NEW", f"2025-03-{day:02d} 10:00"),
                ("LOSE" if day <= 8 else "APOLOGY", f"2025-03-{day:02d} 12:00"),
            ],
        )

    report = losses(admin, march)

    assert [f.code for f in report.findings] == ["losses.dominant_generic"]
    assert "specific loss reasons" in report.findings[0].suggestion


def test_few_losses_raise_no_finding(admin, march, history, general_pipeline):
    for day in range(1, 5):
        history.deal(
            general_pipeline, [("NEW", f"2025-03-{day:02d} 10:00"), ("LOSE", f"2025-03-{day:02d} 12:00")]
        )

    assert losses(admin, march).findings == []
