"""Writes of the web UI's own rows: counting failed sign-ins.

Rules enforced here:
- failures are counted per (login name, client address) inside a window;
- the fifth failure within the window locks that pair for the lock period (15 minutes by default);
- a successful sign-in clears the count.
The counter is a database row updated under a row lock, so every gunicorn worker sees it.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voronka.web.models import SignInFailure


def _limits() -> tuple[int, dt.timedelta]:
    failures = int(getattr(settings, "SIGNIN_MAX_FAILURES", 5))
    minutes = int(getattr(settings, "SIGNIN_LOCK_MINUTES", 15))
    return failures, dt.timedelta(minutes=minutes)


def throttle_key(username: str, address: str) -> str:
    """Return the key one counter is kept under."""
    return f"{(username or '').strip().lower()[:150]}|{address or '-'}"


def locked_until(*, username: str, address: str) -> dt.datetime | None:
    """Return when the lock on this login from this address ends, or None when it may try."""
    until = (
        SignInFailure.objects.filter(key=throttle_key(username, address))
        .values_list("locked_until", flat=True)
        .first()
    )
    return until if until and until > timezone.now() else None


@transaction.atomic
def record_failure(*, username: str, address: str) -> dt.datetime | None:
    """Count a failed sign-in; return the end of the lock when this failure started one."""
    limit, period = _limits()
    now = timezone.now()
    row, _created = SignInFailure.objects.get_or_create(
        key=throttle_key(username, address), defaults={"first_failed_at": now}
    )
    row = SignInFailure.objects.select_for_update().get(pk=row.pk)
    if row.first_failed_at < now - period or (row.locked_until and row.locked_until <= now):
        row.failures, row.first_failed_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + period
    row.save()
    return row.locked_until


@transaction.atomic
def clear_failures(*, username: str, address: str) -> None:
    """Forget the failures of a login from an address (after it signed in)."""
    SignInFailure.objects.filter(key=throttle_key(username, address)).delete()
