"""Reactions of the activities app to events (registered in ActivitiesConfig.ready()).

Subscribers run after commit and only enqueue tasks.
"""

from voronka.activities import events, tasks
from voronka.activities.models import Activity
from voronka.activities.services import reminders
from voronka.crm.events import LeadConverted
from voronka.lib import bus


@bus.subscribe(LeadConverted)
def move_activities_to_deal(event: LeadConverted) -> None:
    """Queue moving a converted lead's open activities to what it became."""
    target = ("deal", event.deal_id) if event.deal_id else ("contact", event.contact_id)
    if target[1] is None and event.company_id:
        target = ("company", event.company_id)
    if target[1] is not None:
        tasks.move_lead_activities.enqueue(lead_id=event.lead_id, kind=target[0], item_id=target[1])


@bus.subscribe(events.ActivityCreated)
@bus.subscribe(events.ActivityRescheduled)
def schedule_reminder(event: events.ActivityCreated | events.ActivityRescheduled) -> None:
    """Queue the reminder of a planned or rescheduled activity for its time."""
    activity = Activity.objects.filter(pk=event.activity_id).first()
    when = reminders.due_at(activity) if activity else None
    if when is None:
        return
    task = tasks.send_reminder
    if not task.get_backend().supports_defer:
        # A backend that cannot wait (the immediate one, in development) would remind at once.
        return
    task.using(run_after=when).enqueue(activity_id=activity.pk, revision=activity.revision)
