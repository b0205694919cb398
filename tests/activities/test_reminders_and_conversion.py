import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from voronka.activities import tasks
from voronka.activities.models import Activity, Notification
from voronka.activities.services.activities import complete_activity, create_activity, reschedule_activity
from voronka.crm.services.conversion import convert_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailed_manager(manager):
    manager.email = "ivanov@example.com"
    manager.save(update_fields=["email"])
    return manager


def plan_with_reminder(item, actor, when, **extra):
    return create_activity(
        item, kind="call", subject="Call back", deadline=when, remind_before=30, actor=actor, **extra
    )


def test_planning_with_a_reminder_enqueues_it_for_its_time(
    deal, manager, tomorrow_10, dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call = plan_with_reminder(deal, manager, tomorrow_10)

    [queued] = dummy_tasks.results
    assert queued.task.func is tasks.send_reminder.func
    assert queued.task.run_after == tomorrow_10 - dt.timedelta(minutes=30)
    assert queued.kwargs == {"activity_id": call.pk, "revision": 1}


def test_the_reminder_notifies_and_mails_once_however_often_the_task_runs(
    deal, mailed_manager, colleague, head, tomorrow_10, mailoutbox
):
    # given
    call = plan_with_reminder(deal, head, tomorrow_10, assigned_to=mailed_manager, participants=[colleague])
    Notification.objects.all().delete()

    # when
    first = tasks.send_reminder.call(activity_id=call.pk, revision=1)
    second = tasks.send_reminder.call(activity_id=call.pk, revision=1)

    # then
    assert (first, second) == (1, 0)
    assert [m.to for m in mailoutbox] == [["ivanov@example.com"]]
    assert "Call back" in mailoutbox[0].subject
    assert set(Notification.objects.values_list("user_id", "kind")) == {
        (mailed_manager.pk, "reminder"),
        (colleague.pk, "reminder"),
    }


def test_a_rescheduled_activity_ignores_the_old_reminder_and_gets_a_new_one(
    deal, mailed_manager, tomorrow_10, dummy_tasks, django_capture_on_commit_callbacks
):
    # given
    call = plan_with_reminder(deal, mailed_manager, tomorrow_10)
    with django_capture_on_commit_callbacks(execute=True):
        call = reschedule_activity(call, deadline=tomorrow_10 + dt.timedelta(days=1), actor=mailed_manager)

    # when
    old = tasks.send_reminder.call(activity_id=call.pk, revision=1)

    # then
    assert old == 0 and mail.outbox == [] and not Notification.objects.exists()
    [queued] = dummy_tasks.results
    assert queued.kwargs == {"activity_id": call.pk, "revision": 2}
    assert tasks.send_reminder.call(**queued.kwargs) == 1


def test_a_done_activity_is_not_reminded(deal, mailed_manager, tomorrow_10):
    call = plan_with_reminder(deal, mailed_manager, tomorrow_10)
    complete_activity(call, actor=mailed_manager, result="called earlier")

    assert tasks.send_reminder.call(activity_id=call.pk, revision=1) == 0
    assert mail.outbox == [] and not Notification.objects.filter(kind="reminder").exists()


def test_a_past_deadline_gets_no_reminder(deal, mailed_manager):
    call = plan_with_reminder(deal, mailed_manager, timezone.now() - dt.timedelta(minutes=1))
    assert tasks.send_reminder.call(activity_id=call.pk, revision=1) == 0


def test_converting_a_lead_moves_its_open_activities_to_the_deal(
    lead, manager, tomorrow_10, immediate_tasks, django_capture_on_commit_callbacks
):
    # given
    open_call = create_activity(lead, kind="call", deadline=tomorrow_10, actor=manager)
    done_call = create_activity(lead, kind="call", deadline=timezone.now(), actor=manager)
    complete_activity(done_call, actor=manager, result="qualified")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = convert_lead(lead, actor=manager)

    # then
    open_call.refresh_from_db()
    done_call.refresh_from_db()
    assert (open_call.deal, open_call.lead) == (result.deal, None)
    assert (done_call.lead, done_call.deal) == (lead, None)  # history stays with the lead
    assert result.deal.timeline.filter(kind="activity", data__event="moved_here").exists()
    # Running the task again finds nothing left to move.
    assert tasks.move_lead_activities.call(lead_id=lead.pk, kind="deal", item_id=result.deal.pk) == 0
    assert Activity.objects.filter(deal=result.deal).count() == 1


def test_housekeeping_gives_a_reminder_whose_task_was_lost_once(deal, mailed_manager, mailoutbox):
    # given: a reminder due ten minutes ago whose task never ran
    call = plan_with_reminder(deal, mailed_manager, timezone.now() + dt.timedelta(minutes=20))

    # when
    from voronka.activities.services.reminders import catch_up

    first, second = catch_up(), catch_up()

    # then
    assert (first, second) == (1, 0) and len(mailoutbox) == 1
    assert tasks.send_reminder.call(activity_id=call.pk, revision=1) == 0  # the late task finds it done


def test_housekeeping_leaves_reminders_that_are_not_due_to_their_task(
    deal, mailed_manager, tomorrow_10, mailoutbox
):
    from voronka.activities.services.reminders import catch_up

    plan_with_reminder(deal, mailed_manager, tomorrow_10)
    assert catch_up() == 0 and mailoutbox == []
