"""Writes of the API's own bookkeeping: rate-limit counters and idempotency keys.

Rules enforced here:
- a token makes at most N requests per fixed window (API_RATE_LIMIT); the count is one atomic
  INSERT … ON CONFLICT DO UPDATE … RETURNING, so every web process shares it, on SQLite and
  PostgreSQL alike, and no read-modify-write race lets extra requests through. A process claims
  the numbers of its requests in blocks of 0.1 % of the limit (one number below 2,000 requests
  a window): it counts them in memory and writes once a block, and never admits a number beyond
  the limit; a block a process leaves unused makes the others refuse that much earlier;
- an Idempotency-Key is claimed once per token; the same key with another request is refused;
  the answer of a finished request is kept for API_IDEMPOTENCY_HOURS and replayed on a retry.
"""

import datetime as dt
import functools
import math
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import ApiToken
from voronka.api.models import ApiIdempotencyKey, ApiRateCounter
from voronka.lib.errors import Conflict

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """N requests per `seconds`."""

    requests: int
    seconds: int


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of counting one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: int  # seconds until the window ends


@functools.lru_cache(maxsize=16)
def parse_rate(text: str) -> RateLimit:
    """Parse "3000/min", "50/s", "100/10s" (a ValueError for anything else)."""
    match = _RATE.match(text.lower())
    if not match or match.group(3) not in _PERIODS:
        raise ValueError(f"API_RATE_LIMIT must look like 3000/min, got {text!r}")
    count = int(match.group(2) or 1)
    return RateLimit(requests=int(match.group(1)), seconds=count * _PERIODS[match.group(3)])


@dataclass(slots=True)
class _Block:
    """Request numbers of one token and window claimed by this process: `next` up to `last`."""

    window: int
    limit: int
    next: int
    last: int


# Per process: token hash -> its current block (the hash, unlike the id, is never reused).
_blocks: dict[str, _Block] = {}
_blocks_lock = threading.Lock()
_MAX_BLOCKS = 10_000


def block_size(rate: RateLimit) -> int:
    """How many request numbers a process claims at once: 0.1 % of the limit, at least one."""
    return max(1, rate.requests // 1000)


def count_request(token: ApiToken, *, now: float | None = None) -> RateDecision:
    """Count one request of `token` in the current window and say whether it may proceed."""
    rate = parse_rate(settings.API_RATE_LIMIT)
    now = time.time() if now is None else now
    window = int(now // rate.seconds) * rate.seconds
    key = token.token_hash or str(token.pk)
    with _blocks_lock:
        block = _blocks.get(key)
        if (
            block is not None
            and block.window == window
            and block.limit == rate.requests
            and block.next <= block.last
        ):
            hits = block.next
            block.next += 1
        else:
            size = block_size(rate)
            last = _claim(token.pk, window, size)
            hits = last - size + 1
            if len(_blocks) >= _MAX_BLOCKS:
                _blocks.clear()
            _blocks[key] = _Block(window=window, limit=rate.requests, next=hits + 1, last=last)
    return RateDecision(
        allowed=hits <= rate.requests,
        limit=rate.requests,
        remaining=max(0, rate.requests - hits),
        reset_in=max(1, math.ceil(window + rate.seconds - now)),
    )


def _claim(token_id: int, window: int, size: int) -> int:
    """Claim the next `size` request numbers of the token's window; return the last one."""
    table = connection.ops.quote_name(ApiRateCounter._meta.db_table)
    # One statement: insert the token's row or bump it, restarting the count in a new window.
    sql = (
        f"INSERT INTO {table} (token_id, window_start, hits) VALUES (%s, %s, %s) "  # noqa: S608 - table name from the model
        f"ON CONFLICT (token_id) DO UPDATE SET "
        f"hits = CASE WHEN {table}.window_start = EXCLUDED.window_start "
        f"THEN {table}.hits + EXCLUDED.hits ELSE EXCLUDED.hits END, "
        f"window_start = EXCLUDED.window_start "
        f"RETURNING hits"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_id, window, size])
        return cursor.fetchone()[0]


@dataclass(frozen=True, slots=True)
class Claim:
    """An idempotency key: `replay` holds the stored answer when the request was made before."""

    key: ApiIdempotencyKey
    replay: bool


def claim_idempotency_key(*, token: ApiToken, key: str, fingerprint: str) -> Claim:
    """Claim `key` for a new request, or return the finished one to replay.

    Call inside the transaction of the request itself: the key and what the request writes
    commit together. On PostgreSQL a concurrent request with the same key waits on the unique
    index until this one commits, then replays it; SQLite serialises writers anyway.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_idempotency_key() runs inside the request's transaction")
    cutoff = timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    # The token's expired keys go now: keys never pile up, and an expired one may be reused.
    ApiIdempotencyKey.objects.filter(token=token, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            row = ApiIdempotencyKey.objects.create(token=token, key=key, fingerprint=fingerprint)
        return Claim(key=row, replay=False)
    except IntegrityError:
        row = ApiIdempotencyKey.objects.get(token=token, key=key)
    if row.fingerprint != fingerprint:
        raise Conflict(
            "idempotency.key_reused",
            _("This Idempotency-Key was used for another request."),
            details={"idempotency_key": key},
        )
    if row.status_code is None:
        raise Conflict("idempotency.in_progress", _("A request with this Idempotency-Key is still running."))
    return Claim(key=row, replay=True)


def finish_idempotency_key(claim: Claim, *, status_code: int, content_type: str, body: str) -> None:
    """Keep the answer of a claimed request for replays."""
    ApiIdempotencyKey.objects.filter(pk=claim.key.pk).update(
        status_code=status_code, content_type=content_type[:100], body=body
    )


def purge_idempotency_keys() -> int:
    """Delete keys older than API_IDEMPOTENCY_HOURS; return how many went."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _by_model = ApiIdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
