"""A per-key, per-minute hit counter kept in the database, so every web worker counts together.

Rules enforced here:
- a hit is counted with one conditional UPDATE (F() + 1), or an INSERT guarded by the unique
  (key, minute) constraint, so concurrent hits on several workers are all counted;
- buckets older than ten minutes are deleted when a new minute starts for a key.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from voronka.intake.models import RateBucket

KEEP = dt.timedelta(minutes=10)


@transaction.atomic
def hit(key: str, *, limit: int, now: dt.datetime | None = None) -> bool:
    """Count a hit for `key`; return False when it is over `limit` hits this minute."""
    window = (now or timezone.now()).replace(second=0, microsecond=0)
    key = key[:200]
    if not RateBucket.objects.filter(key=key, window=window).update(hits=F("hits") + 1):
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, window=window, hits=1)
        except IntegrityError:
            RateBucket.objects.filter(key=key, window=window).update(hits=F("hits") + 1)
        else:
            RateBucket.objects.filter(window__lt=window - KEEP).delete()
    hits = RateBucket.objects.filter(key=key, window=window).values_list("hits", flat=True).first() or 0
    return hits <= limit
