"""The iCalendar (RFC 5545) form of a user's open activities, for calendar apps to subscribe to."""

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from voronka.activities.models import Activity

DEFAULT_LENGTH = {
    Activity.Kind.CALL: dt.timedelta(minutes=15),
    Activity.Kind.MEETING: dt.timedelta(hours=1),
}


def build_feed(activities: Iterable[Activity], *, name: str, item_url) -> bytes:
    """Return the calendar: one VEVENT per activity, its UID stable across reschedules."""
    calendar = Calendar()
    calendar.add("prodid", "-//Voronka CRM//Activities//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT15M")
    stamp = timezone.now()
    for activity in activities:
        event = Event()
        event.add("uid", f"activity-{activity.pk}@voronka")
        event.add("dtstamp", stamp)
        event.add("dtstart", activity.deadline)
        event.add(
            "dtend",
            activity.deadline
            + (activity.duration or DEFAULT_LENGTH.get(activity.kind, dt.timedelta(minutes=30))),
        )
        event.add("summary", f"{activity.get_kind_display()}: {activity.subject}")
        item = activity.item
        details = [f"{item._meta.verbose_name.capitalize()}: {item}"]
        if activity.description:
            details.append(activity.description)
        event.add("description", "\n\n".join(details))
        event.add("categories", [activity.kind])
        event.add("sequence", activity.revision)
        event.add("priority", {3: 1, 2: 5, 1: 9}.get(activity.priority, 5))
        url = item_url(activity)
        if url:
            event.add("url", url)
        calendar.add_component(event)
    return calendar.to_ical()
