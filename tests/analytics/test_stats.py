"""The pure statistics: percentiles, Wilson intervals, Poisson-binomial sums."""

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voronka.analytics import stats

values = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60)


@given(values=values, percent=st.integers(min_value=0, max_value=100))
def test_percentile_lies_between_the_two_ranks_it_names(values, percent):
    ordered = sorted(values)
    low, high, fraction = stats.positions(len(ordered), percent)

    result = stats.percentile(values, percent)

    assert 0 <= low <= high <= len(ordered) - 1 and 0 <= fraction < 1
    assert ordered[low] - 1e-6 <= result <= ordered[high] + 1e-6


@given(values=st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60))
def test_quartiles_match_the_inclusive_method_of_the_standard_library(values):
    expected = statistics.quantiles(values, n=4, method="inclusive")
    got = [stats.percentile(values, p) for p in (25, 50, 75)]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_percentile_of_known_values():
    assert stats.percentile([24, 24, 24, 24, 34.5], 90) == pytest.approx(30.3)
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([7], 75) == 7
    assert stats.percentile([], 50) is None


@given(data=st.data(), trials=st.integers(min_value=0, max_value=500))
def test_wilson_interval_holds_the_rate_and_stays_in_zero_one(data, trials):
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    interval = stats.wilson(successes, trials)
    assert 0.0 <= interval.low <= interval.high <= 1.0
    if trials:
        assert interval.contains(successes / trials)


@given(data=st.data(), trials=st.integers(min_value=1, max_value=500))
def test_wilson_interval_is_symmetric_in_successes_and_failures(data, trials):
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    a, b = stats.wilson(successes, trials), stats.wilson(trials - successes, trials)
    assert a.low == pytest.approx(1 - b.high, abs=1e-12)
    assert a.high == pytest.approx(1 - b.low, abs=1e-12)


@given(rate_=st.floats(min_value=0.05, max_value=0.95), small=st.integers(min_value=5, max_value=50))
def test_wilson_interval_narrows_as_the_sample_grows(rate_, small):
    narrow, wide = (
        stats.wilson(round(rate_ * small * 10), small * 10),
        stats.wilson(round(rate_ * small), small),
    )
    assert narrow.high - narrow.low < wide.high - wide.low


def test_wilson_interval_of_known_values():
    interval = stats.wilson(18, 100)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.117, 0.2667)
    assert stats.wilson(0, 0) == stats.Interval(0.0, 1.0)
    with pytest.raises(ValueError, match="successes"):
        stats.wilson(3, 2)


@given(
    probabilities=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=30),
    weight=st.floats(min_value=0, max_value=1e6),
)
def test_poisson_binomial_mean_and_variance(probabilities, weight):
    result = stats.poisson_binomial(probabilities, [weight] * len(probabilities))
    assert result.mean == pytest.approx(weight * math.fsum(probabilities))
    assert result.variance == pytest.approx(weight * weight * math.fsum(p * (1 - p) for p in probabilities))
    assert result.interval.low >= 0 and result.interval.low <= result.mean <= result.interval.high


def test_shrunk_rate_pulls_small_samples_towards_the_prior():
    assert stats.shrunk_rate(1, 1, 0.2, 10) == pytest.approx(3 / 11)
    assert stats.shrunk_rate(0, 0, 0.2, 10) == 0.2
    assert stats.shrunk_rate(500, 1000, 0.2, 10) == pytest.approx(502 / 1010)
