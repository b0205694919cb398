"""Background work of the activities app (Django Tasks API); each task is safe to run twice."""

from django_tasks import task

from voronka.accounts.services import system_user
from voronka.activities.services import reminders
from voronka.activities.services.activities import move_open_activities
from voronka.crm.selectors.items import visible


@task()
def send_reminder(*, activity_id: int, revision: int) -> int:
    """Remind the people of an activity before its deadline (nothing if rescheduled or done)."""
    return reminders.remind(activity_id, revision)


@task()
def move_lead_activities(*, lead_id: int, kind: str, item_id: int) -> int:
    """Move a converted lead's open activities to its deal (or client)."""
    actor = system_user()
    lead = visible(actor, "lead").filter(pk=lead_id).first()
    target = visible(actor, kind).filter(pk=item_id).first()
    if lead is None or target is None:
        return 0
    # A second run finds no open activities left on the lead.
    return len(move_open_activities(lead, to=target, actor=actor))
