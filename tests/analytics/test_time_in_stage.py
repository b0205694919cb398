"""Time in stage on the hand-made March (tests/analytics/conftest.py): dwell, percentiles, cycle times."""

import pytest

from voronka.analytics.selectors.time_in_stage import time_in_stage

pytestmark = pytest.mark.django_db

HOUR = 3600.0
DAY = 24 * HOUR


def by_code(report):
    return {s.code: s for s in report.stages}


def test_dwell_per_stage_runs_to_the_next_entry_even_after_the_period(admin, march, march_deals):
    report = time_in_stage(admin, march)
    stages = by_code(report)

    # NEW: d1, d2, d3, d4 left after 24 h; d5 entered at 23:30 on 31 March and left on 2 April 10:00
    new = stages["NEW"].dwell
    assert new.n == 5
    assert new.mean == pytest.approx((4 * 24 + 34.5) / 5 * HOUR)
    assert new.median == pytest.approx(24 * HOUR)
    assert new.p75 == pytest.approx(24 * HOUR)
    assert new.p90 == pytest.approx((24 + 0.6 * 10.5) * HOUR)  # h = 3.6 between 24 h and 34.5 h
    assert stages["PREPARATION"].dwell.n == 3  # d1, d2, and d6 (created in February, entered on 2 March)
    assert stages["PREPARATION"].dwell.median == pytest.approx(48 * HOUR)
    assert stages["PREPAYMENT_INVOICE"].dwell.median == pytest.approx(120 * HOUR)
    assert stages["EXECUTING"].dwell.n == 1
    assert stages["FINAL_INVOICE"].dwell.median == pytest.approx(72 * HOUR)


def test_entries_not_left_yet_are_counted_apart_not_measured(admin, march, march_deals):
    stages = by_code(time_in_stage(admin, march))

    assert stages["NEW"].still_in_stage == 1  # d9
    assert stages["PREPAYMENT_INVOICE"].still_in_stage == 1  # d3
    assert stages["EXECUTING"].still_in_stage == 1  # d6
    assert stages["PREPARATION"].still_in_stage == 0


def test_cycle_time_runs_from_creation_to_the_closing_entry(admin, march, march_deals):
    report = time_in_stage(admin, march)

    assert report.cycle_won.n == 1
    assert report.cycle_won.median == pytest.approx(13 * DAY)
    # d8 was created lost (0 s), d4 lost after a day, d2 after three days
    assert report.cycle_lost.n == 3
    assert report.cycle_lost.median == pytest.approx(1 * DAY)
    assert report.cycle_lost.mean == pytest.approx(4 / 3 * DAY)


def test_months_split_the_period_in_company_time(admin, general_pipeline, history):
    from tests.analytics.conftest import at
    from voronka.analytics.filters import parse_filter

    # given: one entry on the last evening of January (Moscow), one in February
    history.deal(general_pipeline, [("NEW", "2025-01-31 23:00"), ("PREPARATION", "2025-02-01 01:00")])
    history.deal(general_pipeline, [("NEW", "2025-02-10 10:00"), ("PREPARATION", "2025-02-10 16:00")])
    report_filter = parse_filter(
        {"pipeline": general_pipeline.pk, "date_from": "2025-01-15", "date_to": "2025-02-28"},
        now=at("2025-06-01 12:00"),
    )

    report = time_in_stage(admin, report_filter)

    assert report.months == ["2025-01", "2025-02"]
    new = by_code(report)["NEW"]
    assert [m.n for m in new.months] == [1, 1]
    assert [m.median for m in new.months] == [pytest.approx(2 * HOUR), pytest.approx(6 * HOUR)]
