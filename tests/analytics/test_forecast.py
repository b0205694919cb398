"""The forecast: empirical win chances per stage and age, the weighted pipeline, the backtest."""

import pytest
from django.db import connection

from tests.analytics.conftest import at
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors import forecast as forecast_module
from voronka.analytics.selectors.forecast import backtests, forecast

pytestmark = pytest.mark.django_db


@pytest.fixture
def past(history, general_pipeline):
    g = general_pipeline
    history.deal(g, [("NEW", "2025-03-01 10:00"), ("WON", "2025-03-11 10:00")])  # won after 10 days
    history.deal(g, [("NEW", "2025-03-01 10:00"), ("LOSE", "2025-03-03 10:00")])  # lost after 2
    history.deal(g, [("NEW", "2025-03-01 10:00"), ("WON", "2025-05-20 10:00")], amount="2000")  # won after 80
    history.deal(g, [("NEW", "2025-03-01 10:00"), ("LOSE", "2025-03-20 10:00")])  # lost after 19
    history.deal(g, [("NEW", "2025-05-25 10:00")], amount="1000")  # open, 7 days old
    history.deal(g, [("NEW", "2025-05-31 10:00")], amount="500")  # open, 1 day old


@pytest.fixture
def june(general_pipeline):
    return parse_filter({"pipeline": general_pipeline.pk}, now=at("2025-06-01 12:00"))


def test_win_chances_per_stage_and_age(admin, june, past):
    report = forecast(admin, june, backtest=False)
    new = {p.bucket: p for p in report.probabilities if p.stage_id == report.stages[0].stage_id}

    # all ages: won 2 of 4 decided; within 30 days 1 of 4 known
    assert new[0].eventual == pytest.approx(0.5) and new[0].within[30] == pytest.approx(0.25)
    assert new[0].known[0] == 4 and new[0].entries == 6
    # still in the stage after 7 days: 2 of 3 won, pulled towards 0.5 as if 10 more were seen
    assert new[7].eventual == pytest.approx((2 + 5) / 13)
    assert new[7].within[30] == pytest.approx((1 + 2.5) / 13)
    assert new[30].eventual == pytest.approx((1 + 5) / 11)
    assert new[90].eventual == pytest.approx(0.5)  # nobody waited that long: the stage's rate


def test_expected_won_amount_weights_the_open_deals(admin, june, past):
    report = forecast(admin, june, backtest=False)

    assert report.open_items == 2 and report.open_amount == 1500
    assert report.weighted_amount == pytest.approx(1000 * 7 / 13 + 500 * 0.5)
    p7, p0 = 3.5 / 13, 0.25
    expected = report.expected[30]
    assert expected.amount == pytest.approx(1000 * p7 + 500 * p0)
    assert expected.count == pytest.approx(p7 + p0)
    spread = (1000**2 * p7 * (1 - p7) + 500**2 * p0 * (1 - p0)) ** 0.5
    assert expected.amount_interval.high == pytest.approx(expected.amount + 1.959963984540054 * spread)
    assert expected.amount_interval.low == 0.0  # cut at zero


def test_backtest_uses_only_history_before_the_forecast_date(admin, june, past):
    results = {(b.as_of[:10], b.horizon): b for b in backtests(admin, june, origins=1)}

    # as of 2 May the 2000 deal was open for 62 days; it was won on 20 May
    test = results[("2025-05-02", 30)]
    assert test.open_items == 1 and test.actual_amount == 2000 and test.actual_count == 1
    # within 30 days after 30 days in the stage: 0 of 1 known, pulled towards 1 of 4
    assert test.expected.amount == pytest.approx(2000 * (0 + 2.5) / 11)
    assert test.error == pytest.approx(2000 - 2000 * 2.5 / 11)


# SQLite's statistics of the history's indexes on the bench data (1,000,000 deals, 5,098,300 rows).
BENCH_STATISTICS = {
    "history_left": "5098300 1274575 169944 2 1 1 1 1",
    "history_stays": "5098300 1274575 1 1 1 1 1 1 1",
    "history_pipeline_moved": "5098300 1274575 1 1 1 1 1",
    "history_stage_moved": "5098300 169944 1",
    "history_deal_sequence": "3178790 4 1 1 1 1",
    "history_lead_sequence": "1919510 2 1 1 1 1",
    "history_creation": "2000000 500000 1 1 1",
}


@pytest.fixture
def bench_statistics(db):
    """The history's statistics of the bench data (SQLite plans with them, not with the rows)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'crm_stagehistory'")
        for index, stat in BENCH_STATISTICS.items():
            cursor.execute("INSERT INTO sqlite_stat1 VALUES ('crm_stagehistory', %s, %s)", [index, stat])
        cursor.execute("ANALYZE sqlite_schema")  # reload them
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan is read with SQLite's EXPLAIN QUERY PLAN")
def test_backtest_finds_the_stays_open_at_its_dates_by_when_they_ended(
    admin, june, past, bench_statistics, monkeypatch
):
    """The stays that contain a backtest date are two ranges of `history_left` per open stage (not
    left, left on or after the first date), not every stay of the pipeline entered before the last
    date (1.67 million index entries for 352,185 stays on the bench data)."""
    plans = []
    fetch = forecast_module.fetch

    def explained(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", list(params))
            plans.append([row[3] for row in cursor.fetchall()])
        return fetch(sql, params)

    monkeypatch.setattr(forecast_module, "fetch", explained)
    opened = forecast_module._open_then(admin, june, [at("2025-05-02 12:00"), at("2025-04-02 12:00")])

    (plan,) = plans
    reads = [step for step in plan if step.startswith(("SCAN h", "SEARCH h "))]
    assert len(reads) == 2, plan
    assert all("COVERING INDEX history_left" in step for step in reads), plan
    assert any("left_at=?" in step for step in reads) and any("left_at>?" in step for step in reads), plan
    # the 2000 deal, open on both dates
    assert [row[2] for row in opened[0]] == [1] and [row[2] for row in opened[1]] == [1]
