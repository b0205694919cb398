import datetime as dt

import pytest
from django.utils import timezone

from voronka.activities.events import ActivityCompleted, ActivityCreated, ActivityRescheduled
from voronka.activities.models import Activity, Notification
from voronka.activities.services.activities import (
    complete_activity,
    create_activity,
    delete_activity,
    reschedule_activity,
    update_activity,
)
from voronka.crm.models import TimelineEntry
from voronka.lib.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_planning_a_call_writes_the_timeline_and_publishes_activity_created(
    deal, manager, tomorrow_10, published
):
    # given
    published.clear()

    # when
    call = create_activity(
        deal, kind="call", subject="Discuss the delivery", deadline=tomorrow_10, actor=manager, duration=15
    )

    # then
    assert (call.deal, call.assigned_to, call.is_done, call.duration) == (
        deal,
        manager,
        False,
        dt.timedelta(minutes=15),
    )
    entry = deal.timeline.get(kind=TimelineEntry.Kind.ACTIVITY)
    assert entry.data["event"] == "created" and entry.data["activity_id"] == call.pk
    assert published == [
        ActivityCreated(
            activity_id=call.pk,
            activity_kind="call",
            kind="deal",
            item_id=deal.pk,
            assigned_to_id=manager.pk,
            is_done=False,
            actor_id=manager.pk,
        )
    ]


def test_an_empty_subject_takes_the_kind_name_and_a_string_deadline_is_parsed(lead, manager):
    activity = create_activity(lead, kind="meeting", deadline="2030-05-04T15:30:00", actor=manager)
    assert activity.subject == "Meeting"
    assert timezone.localtime(activity.deadline).hour == 15


def test_bad_fields_are_reported_together_and_nothing_is_written(deal, manager, published):
    published.clear()
    with pytest.raises(Invalid) as refusal:
        create_activity(deal, kind="fax", deadline="", actor=manager, duration="long", priority=9)
    assert refusal.value.code == "activity.invalid"
    assert set(refusal.value.details) == {"kind", "deadline", "duration", "priority"}
    assert not Activity.objects.exists() and published == []
    assert not deal.timeline.filter(kind=TimelineEntry.Kind.ACTIVITY).exists()


def test_a_direction_is_only_for_calls_sms_and_emails(deal, manager, tomorrow_10):
    with pytest.raises(Invalid) as refusal:
        create_activity(deal, kind="meeting", direction="incoming", deadline=tomorrow_10, actor=manager)
    assert "direction" in refusal.value.details


def test_a_manager_may_not_plan_for_a_colleague_but_a_head_may(deal, manager, colleague, head, tomorrow_10):
    with pytest.raises(Forbidden) as refusal:
        create_activity(deal, kind="task", deadline=tomorrow_10, actor=manager, assigned_to=colleague)
    assert refusal.value.code == "activity.assign_forbidden"
    assert not Activity.objects.exists()

    task = create_activity(
        deal, kind="task", subject="Send the contract", deadline=tomorrow_10, actor=head, assigned_to=manager
    )

    assert task.assigned_to == manager
    note = Notification.objects.get(user=manager)
    assert note.kind == Notification.Kind.ASSIGNED and "Send the contract" in note.text


def test_an_item_outside_the_actors_scope_is_not_found(deal, outsider, tomorrow_10):
    with pytest.raises(NotFound):
        create_activity(deal, kind="call", deadline=tomorrow_10, actor=outsider)
    assert not Activity.objects.exists()


def test_completing_records_the_result_and_publishes_activity_completed(
    deal, manager, tomorrow_10, published
):
    # given
    call = create_activity(deal, kind="call", deadline=tomorrow_10, actor=manager)
    published.clear()

    # when
    complete_activity(call, actor=manager, result="Agreed on Friday delivery")

    # then
    call.refresh_from_db()
    assert call.is_done and call.done_by == manager and call.result == "Agreed on Friday delivery"
    entry = deal.timeline.filter(kind=TimelineEntry.Kind.ACTIVITY).order_by("pk").last()
    assert entry.data["event"] == "completed" and entry.text == "Agreed on Friday delivery"
    assert published == [
        ActivityCompleted(
            activity_id=call.pk, activity_kind="call", kind="deal", item_id=deal.pk, actor_id=manager.pk
        )
    ]


def test_a_done_activity_is_not_completed_twice_nor_rescheduled(deal, manager, tomorrow_10, published):
    call = create_activity(deal, kind="call", deadline=tomorrow_10, actor=manager)
    complete_activity(call, actor=manager, result="ok")
    published.clear()

    with pytest.raises(Conflict) as twice:
        complete_activity(call, actor=manager, result="again")
    with pytest.raises(Conflict) as moved:
        reschedule_activity(call, deadline=tomorrow_10 + dt.timedelta(days=1), actor=manager)

    assert (twice.value.code, moved.value.code) == ("activity.already_done", "activity.done")
    call.refresh_from_db()
    assert call.result == "ok" and call.deadline == tomorrow_10 and published == []


def test_someone_else_may_not_complete_unless_a_participant(deal, manager, colleague, tomorrow_10):
    meeting = create_activity(deal, kind="meeting", deadline=tomorrow_10, actor=manager)
    with pytest.raises(Forbidden):
        complete_activity(meeting, actor=colleague)
    meeting.refresh_from_db()
    assert not meeting.is_done

    update_activity(meeting, actor=manager, participants=[colleague])
    complete_activity(meeting, actor=colleague, result="Held")

    meeting.refresh_from_db()
    assert meeting.is_done and meeting.done_by == colleague


def test_rescheduling_bumps_the_revision_and_writes_both_deadlines(deal, manager, tomorrow_10, published):
    # given
    call = create_activity(deal, kind="call", deadline=tomorrow_10, actor=manager, remind_before=15)
    published.clear()
    later = tomorrow_10 + dt.timedelta(hours=3)

    # when
    call = reschedule_activity(call, deadline=later, actor=manager, reason="client is busy")

    # then
    assert call.deadline == later and call.revision == 2 and call.reminded_at is None
    entry = deal.timeline.filter(kind=TimelineEntry.Kind.ACTIVITY).order_by("pk").last()
    assert entry.data["event"] == "rescheduled"
    assert (
        dt.datetime.fromisoformat(entry.data["previous_deadline"]) == tomorrow_10
        and entry.data["reason"] == "client is busy"
    )
    assert published == [
        ActivityRescheduled(
            activity_id=call.pk,
            activity_kind="call",
            kind="deal",
            item_id=deal.pk,
            revision=2,
            actor_id=manager.pk,
        )
    ]


def test_a_logged_call_is_created_done_and_publishes_both_events(lead, manager, published):
    published.clear()
    call = create_activity(
        lead,
        kind="call",
        direction="incoming",
        deadline=timezone.now(),
        duration=dt.timedelta(seconds=95),
        is_done=True,
        result="Asked for the price list",
        data={"recording_url": "https://pbx.example/rec/1.mp3"},
        actor=manager,
    )
    assert call.is_done and call.done_at and call.data["recording_url"].endswith("1.mp3")
    assert [type(event).__name__ for event in published] == ["ActivityCreated", "ActivityCompleted"]


def test_deleting_needs_the_delete_right_and_leaves_a_timeline_line(deal, manager, intern, head, tomorrow_10):
    call = create_activity(deal, kind="call", deadline=tomorrow_10, actor=head, assigned_to=intern)
    with pytest.raises(Forbidden):
        delete_activity(call, actor=intern)  # interns have no delete right
    delete_activity(call, actor=head)
    assert not Activity.objects.exists()
    assert deal.timeline.filter(kind=TimelineEntry.Kind.ACTIVITY, data__event="deleted").exists()
