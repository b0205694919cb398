"""The funnel on a hand-made March: every figure below was counted by hand from the paths."""

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.analytics.conftest import count_queries
from voronka.analytics.selectors.funnel import funnel
from voronka.lib.errors import Invalid

pytestmark = pytest.mark.django_db


def test_created_cohort_counts_items_reaching_each_stage_skips_included(admin, march, march_deals):
    report = funnel(admin, march)

    assert report.items == 7
    assert [s.code for s in report.stages] == [
        "NEW",
        "PREPARATION",
        "PREPAYMENT_INVOICE",
        "EXECUTING",
        "FINAL_INVOICE",
        "WON",
    ]
    assert [s.reached for s in report.stages] == [6, 4, 2, 1, 1, 1]
    assert [s.conversion_from_previous for s in report.stages] == [None, 4 / 6, 2 / 4, 1 / 2, 1.0, 1.0]
    assert [s.conversion_overall for s in report.stages] == [6 / 7, 4 / 7, 2 / 7, 1 / 7, 1 / 7, 1 / 7]
    assert [s.dropped for s in report.stages] == [2, 2, 1, 0, 0, 0]
    assert [s.lost_here for s in report.stages] == [1, 1, 0, 0, 0, 0]
    assert [s.open_here for s in report.stages] == [1, 1, 1, 0, 0, 0]
    assert report.stages[0].amount == Decimal("2400.00")  # d1 + d2 + d3 + d4 + d5 + d9
    assert (report.won, report.won_amount, report.lost, report.lost_without_entering) == (
        1,
        Decimal("100.00"),
        3,
        1,
    )
    assert report.conversion == 1 / 7


def test_activity_cohort_counts_progress_up_to_the_end_of_the_period(admin, march, march_deals):
    report = funnel(admin, march, cohort="activity")

    # d1..d6, d8, d9 moved in March; d5's April move and d7 are after the period
    assert report.items == 8
    assert [s.reached for s in report.stages] == [7, 4, 3, 2, 1, 1]
    assert report.won == 1


def test_funnel_counts_only_what_the_user_may_read(intern, manager, march, history, general_pipeline):
    # given: the intern reads their own deals only; the manager their department's
    history.deal(general_pipeline, [("NEW", "2025-03-02 10:00")], assigned_to=intern)
    history.deal(general_pipeline, [("NEW", "2025-03-02 10:00"), ("PREPARATION", "2025-03-03 10:00")])

    # then
    assert funnel(intern, march).items == 1
    assert funnel(manager, march).items == 1  # the admin is in no department
    assert funnel(manager, march).stages[1].reached == 0


def test_responsible_filter_narrows_the_cohort(admin, march, march_deals, outsider):
    report = funnel(admin, replace(march, responsible_id=outsider.pk))

    assert report.items == 1
    assert report.stages[0].reached == 1


def test_unknown_cohort_is_refused(admin, march):
    with pytest.raises(Invalid) as refusal:
        funnel(admin, march, cohort="forever")
    assert refusal.value.code == "analytics.bad_cohort"


def test_funnel_query_count_does_not_grow_with_the_data(admin, march, history, general_pipeline):
    history.deal(general_pipeline, [("NEW", "2025-03-02 10:00")])
    few = count_queries(lambda: funnel(admin, replace(march)))
    for day in range(2, 20):
        history.deal(
            general_pipeline, [("NEW", f"2025-03-{day:02d} 10:00"), ("LOSE", f"2025-03-{day:02d} 12:00")]
        )

    assert count_queries(lambda: funnel(admin, replace(march))) == few <= 6
