"""A leaky bucket per webhook, as Bitrix24's: each request adds 1, the level drains at `rate`/s,
and a request that would lift it above `burst` is refused (503 QUERY_LIMIT_EXCEEDED).

The buckets live in the process: with several web processes each has its own, so the limit
is per process (documented in docs/bitrix24.md).
"""

import threading
import time

from django.conf import settings

_lock = threading.Lock()
_buckets: dict[int, tuple[float, float]] = {}


def limits() -> tuple[float, float]:
    """Return (burst, drain rate per second) from B24_RATE_LIMIT ("burst/rate")."""
    burst, _slash, rate = str(settings.B24_RATE_LIMIT).partition("/")
    return float(burst), float(rate or 1)


def allow(key: int) -> bool:
    """Count one request of webhook `key`; return False when the bucket is full."""
    burst, rate = limits()
    if burst <= 0:
        return True
    now = time.monotonic()
    with _lock:
        level, at = _buckets.get(key, (0.0, now))
        level = max(0.0, level - (now - at) * rate)
        if level + 1 > burst:
            _buckets[key] = (level, now)
            return False
        _buckets[key] = (level + 1, now)
        return True


def reset() -> None:
    """Empty every bucket (tests)."""
    with _lock:
        _buckets.clear()


# --- Operating time (opt-in): seconds spent per webhook and method over a sliding 10 minutes ---

WINDOW = 600.0
_operating: dict[tuple[int, str], list[tuple[float, float]]] = {}


def operating(key: int, method_name: str, seconds: float) -> tuple[float, int]:
    """Count `seconds` spent in a method; return (seconds in the window, when the oldest leaves it)."""
    now = time.time()
    with _lock:
        spent = [(at, s) for at, s in _operating.get((key, method_name), []) if at > now - WINDOW]
        spent.append((now, seconds))
        _operating[(key, method_name)] = spent
        return sum(s for _at, s in spent), int(spent[0][0] + WINDOW)
