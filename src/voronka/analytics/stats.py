"""The statistics the reports share: pure functions, no database.

- Percentiles are the *linear interpolation between closest ranks* (PostgreSQL's
  `percentile_cont`, NumPy's default "linear", `statistics.quantiles(method="inclusive")`):
  for n sorted values v[0..n-1] and a percentage p, h = (n - 1) * p / 100, and the
  percentile is v[floor(h)] + (h - floor(h)) * (v[ceil(h)] - v[floor(h)]).
  `positions()` gives the two ranks and the fraction in integer arithmetic, so the SQL
  (ROW_NUMBER over a partition) and the Python reference pick exactly the same rows.
- Rates carry a Wilson score interval (95% by default), which stays inside [0, 1] and
  behaves for small samples and for rates near 0 or 1, unlike the normal ("Wald") interval.
- A sum of independent Bernoulli outcomes with different probabilities (the forecast's
  open deals) is Poisson-binomial: mean Σ w·p, variance Σ w²·p·(1 − p); its interval is the
  normal approximation, cut at zero.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed interval [low, high]."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def positions(n: int, percent: int) -> tuple[int, int, float]:
    """Return the 0-based ranks below and above the `percent` percentile of n values, and the fraction."""
    if n <= 0:
        raise ValueError("no values")
    if not 0 <= percent <= 100:
        raise ValueError("percent must lie in 0..100")
    scaled = (n - 1) * percent
    low = scaled // 100
    remainder = scaled % 100
    return low, low + (1 if remainder else 0), remainder / 100


def interpolate(low_value: float, high_value: float, fraction: float) -> float:
    """Return the value `fraction` of the way from `low_value` to `high_value`."""
    if fraction == 0:
        return low_value
    return low_value + (high_value - low_value) * fraction


def percentile(values: Iterable[float], percent: int) -> float | None:
    """Return the `percent` percentile of `values` (linear interpolation), None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    low, high, fraction = positions(len(ordered), percent)
    return interpolate(ordered[low], ordered[high], fraction)


def rate(successes: int, trials: int) -> float | None:
    """Return successes / trials, None when there were no trials."""
    return successes / trials if trials else None


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """Return the Wilson score interval of a proportion (the whole [0, 1] without trials)."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError("need 0 <= successes <= trials")
    if trials == 0:
        return Interval(0.0, 1.0)
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # Clamp the rounding noise at the ends (0/n and n/n give exactly 0 and 1 in theory).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(min(low, p), max(high, p))


def shrunk_rate(successes: float, trials: float, prior: float, strength: float) -> float:
    """Return a rate pulled towards `prior` as if `strength` trials at that rate were added."""
    if trials + strength <= 0:
        return prior
    return (successes + strength * prior) / (trials + strength)


@dataclass(frozen=True, slots=True)
class Estimate:
    """The mean and variance of a sum, with its normal-approximation interval."""

    mean: float
    variance: float
    interval: Interval


def poisson_binomial(probabilities: Sequence[float], weights: Sequence[float] | None = None) -> Estimate:
    """Return the mean, variance and 95% interval of Σ weight·Bernoulli(probability)."""
    weights = weights if weights is not None else [1.0] * len(probabilities)
    if len(weights) != len(probabilities):
        raise ValueError("one weight per probability")
    mean = math.fsum(w * p for p, w in zip(probabilities, weights, strict=True))
    variance = math.fsum(w * w * p * (1 - p) for p, w in zip(probabilities, weights, strict=True))
    return estimate(mean, variance)


def estimate(mean: float, variance: float, z: float = Z95) -> Estimate:
    """Return the estimate with the interval mean ± z·σ, cut at zero."""
    half = z * math.sqrt(max(variance, 0.0))
    return Estimate(mean, variance, Interval(max(0.0, mean - half), mean + half))
