"""The clock automation reads: real time plus a configurable offset.

`VORONKA_CLOCK_OFFSET` (seconds, a setting or an environment variable) moves "now" forward,
so a test or a demonstration can jump three days ahead and watch delayed robots fire without
waiting. Production leaves it at 0.
"""

import datetime as dt
import os

from django.conf import settings
from django.utils import timezone


def offset() -> dt.timedelta:
    """Return how far the clock runs ahead of real time."""
    value = getattr(settings, "VORONKA_CLOCK_OFFSET", None)
    if value is None:
        value = os.environ.get("VORONKA_CLOCK_OFFSET", "0")
    return dt.timedelta(seconds=float(value or 0))


def now() -> dt.datetime:
    """Return the current (possibly shifted) time, timezone-aware."""
    return timezone.now() + offset()


def to_real(moment: dt.datetime) -> dt.datetime:
    """Return the real time at which the shifted clock shows `moment` (for a task's run_after)."""
    return moment - offset()
