"""The working-hours calendar robot delays may count in (AUTOMATION_WORKING_HOURS, in TIME_ZONE).

The setting reads "mon-fri 09:00-18:00" (days as a range or a comma list, then the hours).
A delay "in working hours" adds only minutes inside working time: 2 working hours from
Friday 17:00 is Monday 10:00; a working day is the length of one working day's hours.
"""

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPEC = re.compile(r"^\s*([a-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class WorkingHours:
    weekdays: frozenset[int]
    start: dt.time
    end: dt.time

    @property
    def day_minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@lru_cache(maxsize=8)
def parse(spec: str) -> WorkingHours:
    """Parse "mon-fri 09:00-18:00" (raise ImproperlyConfigured for anything else)."""
    match = _SPEC.match(spec.lower())
    if not match:
        raise ImproperlyConfigured(f"AUTOMATION_WORKING_HOURS: cannot read {spec!r}")
    days_part, h1, m1, h2, m2 = match.groups()
    weekdays: set[int] = set()
    for part in days_part.replace(" ", "").split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            if first not in DAYS or last not in DAYS:
                raise ImproperlyConfigured(f"AUTOMATION_WORKING_HOURS: unknown day in {spec!r}")
            weekdays.update(range(DAYS.index(first), DAYS.index(last) + 1))
        elif part in DAYS:
            weekdays.add(DAYS.index(part))
        else:
            raise ImproperlyConfigured(f"AUTOMATION_WORKING_HOURS: unknown day in {spec!r}")
    hours = WorkingHours(frozenset(weekdays), dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2)))
    if not weekdays or hours.day_minutes <= 0:
        raise ImproperlyConfigured(f"AUTOMATION_WORKING_HOURS: empty working time in {spec!r}")
    return hours


def working_hours() -> WorkingHours:
    return parse(settings.AUTOMATION_WORKING_HOURS)


def add_working_minutes(start: dt.datetime, minutes: int, hours: WorkingHours | None = None) -> dt.datetime:
    """Return the moment `minutes` of working time after `start` (0: the next working moment)."""
    hours = hours or working_hours()
    zone = timezone.get_current_timezone()
    cursor = timezone.localtime(start, zone)
    remaining = dt.timedelta(minutes=max(minutes, 0))
    for _day in range(3700):  # ten years of calendar days at most
        day = cursor.date()
        if day.weekday() in hours.weekdays:
            day_start = timezone.make_aware(dt.datetime.combine(day, hours.start), zone)
            day_end = timezone.make_aware(dt.datetime.combine(day, hours.end), zone)
            if cursor < day_end:
                begin = max(cursor, day_start)
                available = day_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        cursor = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)
    raise ValueError("the working-hours delay is too long")
