"""Bulk data for the intake benchmark: N contacts, each with a phone and an e-mail.

`ensure_contacts(n)` tops the database up to `n` generated contacts (idempotent: it counts the
ones a previous run made), in batches, bypassing the services on purpose: it is test data at
volume, and the per-row work of the services (history, timeline, events) is not what the
benchmark measures. Phones are +7 900 000 00 00 + i, e-mails bench<i>@example.com, so a
benchmark can pick known and unknown clients by number.
"""

import time

from django.db import connection, transaction
from django.utils import timezone

from voronka.crm.models import Communication, Contact
from voronka.lib.text import search_key

MARK = "bench-intake"
BATCH = 10_000
PHONE_BASE = 79_000_000_000


def phone_of(i: int) -> str:
    return f"+{PHONE_BASE + i}"


def email_of(i: int) -> str:
    return f"bench{i}@example.com"


def ensure_contacts(n: int, *, log=print) -> int:
    """Make sure `n` generated contacts exist; return how many were added."""
    have = Contact.objects.filter(source_description=MARK).count()
    started = time.perf_counter()
    added = 0
    for start in range(have, n, BATCH):
        stop = min(start + BATCH, n)
        _add_batch(start, stop)
        added += stop - start
        if log and (stop // BATCH) % 10 == 0:
            rate = added / (time.perf_counter() - started)
            log(f"  {stop:,} contacts ({rate:,.0f}/s)")
    if added:
        analyze()
    return added


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL's autovacuum may lag behind)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@transaction.atomic
def _add_batch(start: int, stop: int) -> None:
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        Contact(
            first_name=f"Client{i}",
            last_name="Bench",
            source_description=MARK,
            created_at=now,
            updated_at=now,
            search_text=search_key(f"Client{i}", "Bench", phone_of(i), email_of(i)),
        )
        for i in range(start, stop)
    )
    rows = []
    for i, contact in zip(range(start, stop), contacts, strict=True):
        rows.append(
            Communication(
                contact=contact, kind="phone", label="work", value=phone_of(i), normalized=phone_of(i)
            )
        )
        rows.append(
            Communication(
                contact=contact, kind="email", label="work", value=email_of(i), normalized=email_of(i)
            )
        )
    Communication.objects.bulk_create(rows)
