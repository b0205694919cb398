"""Sources (lead → deal → won per source) and the plan (reverse funnel) on hand-made histories."""

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.analytics.conftest import at
from voronka.analytics.selectors.plan import plan
from voronka.analytics.selectors.sources import sources
from voronka.crm.models import Source
from voronka.lib.errors import Invalid

pytestmark = pytest.mark.django_db

DAY = 86400


def test_sources_follow_first_contacts_of_the_period_to_won(
    admin, march, history, lead_statuses, general_pipeline
):
    # given
    call, web = Source.objects.get(code="CALL"), Source.objects.get(code="WEB")
    l1 = history.lead(
        lead_statuses, [("NEW", "2025-03-02 10:00"), ("CONVERTED", "2025-03-05 10:00")], source=call
    )
    history.lead(lead_statuses, [("NEW", "2025-03-03 10:00")], source=call)
    l3 = history.lead(
        lead_statuses, [("NEW", "2025-03-04 10:00"), ("CONVERTED", "2025-03-06 10:00")], source=web
    )
    g = general_pipeline
    history.deal(
        g, [("NEW", "2025-03-05 10:00"), ("WON", "2025-04-10 10:00")], source=call, lead=l1, amount="100"
    )
    history.deal(g, [("NEW", "2025-03-06 10:00")], source=web, lead=l3, amount="70")
    history.deal(g, [("NEW", "2025-03-10 10:00"), ("WON", "2025-03-20 10:00")], source=web, amount="50")
    history.deal(g, [("NEW", "2025-02-10 10:00"), ("WON", "2025-03-20 10:00")], source=web, amount="999")

    # when
    report = sources(admin, march)

    # then
    rows = {r.code: r for r in report.rows}
    assert (rows["CALL"].leads, rows["CALL"].converted, rows["CALL"].deals, rows["CALL"].won) == (2, 1, 1, 1)
    assert rows["CALL"].revenue == Decimal("100.00")
    assert (rows["CALL"].lead_to_deal, rows["CALL"].deal_to_won, rows["CALL"].lead_to_won) == (0.5, 1.0, 0.5)
    assert rows["CALL"].cycle.median == pytest.approx(
        (at("2025-04-10 10:00") - at("2025-03-02 10:00")).total_seconds()
    )
    web_row = rows["WEB"]
    assert (web_row.leads, web_row.converted, web_row.deals, web_row.direct_deals, web_row.won) == (
        1,
        1,
        2,
        1,
        1,
    )
    assert web_row.revenue == Decimal("50.00") and web_row.lead_to_won == 0.0
    assert web_row.cycle.median == pytest.approx(10 * DAY)
    assert (report.total.leads, report.total.deals, report.total.won) == (3, 3, 2)
    assert report.total.revenue == Decimal("150.00")
    assert report.total.cycle.n == 2


def test_plan_turns_a_target_into_stage_entries_at_historical_rates(
    admin, march, march_deals, history, general_pipeline
):
    # given: a deal entered "New" within the last 30 days before 1 June
    history.deal(general_pipeline, [("NEW", "2025-05-20 10:00")])

    # when
    report = plan(admin, march, target_count=4)

    # then: decided conversions 4/5, 2/3, 1, 1, 1 → chance to win from "New" 8/15
    assert report.won_needed == 4
    assert report.win_rate == pytest.approx(8 / 15)
    stages = [r for r in report.rows if r.metric == "stage"]
    assert [r.needed for r in stages] == [8, 6, 4, 4, 4]
    assert stages[0].run_rate == 1 and stages[0].growth == pytest.approx(7.0)
    leads = next(r for r in report.rows if r.metric == "leads")
    assert leads.needed is None  # no leads were created in March
    assert report.activities_available
    calls = next(r for r in report.rows if r.metric == "calls")
    assert (calls.historical_rate, calls.needed) == (0.0, 0)


def test_plan_by_amount_uses_the_average_won_amount(admin, march, march_deals):
    report = plan(admin, march, target_amount=Decimal("250"))

    assert report.average_won_amount == Decimal("100.00")
    assert report.won_needed == 3


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({}, "analytics.plan_target"),
        ({"target_count": 3, "target_amount": Decimal(5)}, "analytics.plan_target"),
        ({"target_count": 0}, "analytics.plan_target"),
        ({"target_count": 2, "days": 0}, "analytics.plan_days"),
    ],
)
def test_plan_refuses_a_bad_target(admin, march, options, code):
    with pytest.raises(Invalid) as refusal:
        plan(admin, replace(march), **options)
    assert refusal.value.code == code
