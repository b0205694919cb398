"""Planning, changing, rescheduling, completing and moving activities.

Rules enforced here:
- an activity belongs to exactly one lead, deal, contact or company that the actor may see;
- the responsible is an active user inside the actor's activity *create* scope (a manager plans
  for themselves, a head of sales for anyone); participants are active users;
- a subject is at most 255 characters (the kind's name when empty); a deadline is required;
  a duration is at most 7 days and a reminder at most 30 days before the deadline;
- changing, rescheduling and completing need the activity *update* right over the responsible,
  or being a participant; a done activity is neither rescheduled nor completed again;
- every change is written to the item's timeline (kind "activity") and published; rescheduling
  bumps `revision`, so reminders scheduled for the old deadline do nothing.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.activities import events
from voronka.activities.models import Activity, Notification
from voronka.activities.services import notifications
from voronka.crm import locks
from voronka.crm.models import TimelineEntry
from voronka.crm.services import timeline
from voronka.crm.services.items import resolve_user
from voronka.lib import bus
from voronka.lib.errors import Conflict, Forbidden, Invalid, NotFound

MAX_DURATION = dt.timedelta(days=7)
MAX_REMIND_BEFORE = dt.timedelta(days=30)
EDITABLE = ("subject", "description", "priority", "duration", "direction", "remind_before")


@transaction.atomic
def create_activity(
    item,
    *,
    kind: str,
    actor: User,
    deadline: dt.datetime | str,
    subject: str = "",
    description: str = "",
    assigned_to: User | int | None = None,
    participants: Iterable[User | int] = (),
    duration: dt.timedelta | int | None = None,
    direction: str = "",
    priority: int = Activity.Priority.NORMAL,
    remind_before: dt.timedelta | int | None = None,
    is_done: bool = False,
    result: str = "",
    data: dict[str, Any] | None = None,
) -> Activity:
    """Plan an activity on an item (or log one already done, e.g. an answered call)."""
    _require_item(actor, item)
    responsible = _responsible(actor, assigned_to)
    values = clean(
        {
            "kind": kind,
            "subject": subject,
            "description": description,
            "deadline": deadline,
            "duration": duration,
            "direction": direction,
            "priority": priority,
            "remind_before": remind_before,
        }
    )
    now = timezone.now()
    activity = Activity.objects.create(
        **{item.kind.value: item},
        **values,
        assigned_to=responsible,
        is_done=is_done,
        done_at=now if is_done else None,
        done_by=actor if is_done else None,
        result=_clean_result(result),
        data=data or {},
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    people = _users(participants)
    activity.participants.set(people)
    _record(activity, item, "completed" if is_done else "created", actor)
    if responsible.pk != actor.pk and not is_done:
        notifications.notify_assigned(activity, user=responsible, actor=actor)
    bus.publish(
        events.ActivityCreated(
            activity_id=activity.pk,
            activity_kind=activity.kind,
            kind=item.kind.value,
            item_id=item.pk,
            assigned_to_id=responsible.pk,
            is_done=is_done,
            actor_id=actor.pk,
        )
    )
    if is_done:
        bus.publish(_completed_event(activity, actor))
    return activity


@transaction.atomic
def update_activity(activity: Activity, *, actor: User, **values: Any) -> Activity:
    """Change the subject, description, priority, duration, reminder, responsible or participants."""
    activity = locks.lock(activity)
    require_change(actor, activity)
    participants = values.pop("participants", None)
    responsible = values.pop("assigned_to", None)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise Invalid("activity.unknown_field", _("Unknown field."), details=dict.fromkeys(unknown, "?"))
    cleaned = clean({"kind": activity.kind, **values}, partial=True)
    cleaned.pop("kind")
    changed = [name for name, value in cleaned.items() if getattr(activity, name) != value]
    for name in changed:
        setattr(activity, name, cleaned[name])
    if responsible is not None:
        new = _responsible(actor, responsible)
        if new.pk != activity.assigned_to_id:
            activity.assigned_to = new
            changed.append("assigned_to")
            if new.pk != actor.pk:
                notifications.notify_assigned(activity, user=new, actor=actor)
    if "remind_before" in changed:
        # A changed reminder is a new schedule: the old reminder task must not fire.
        activity.revision += 1
        activity.reminded_at = None
        changed += ["revision", "reminded_at"]
    activity.updated_at = timezone.now()
    activity.save(update_fields=[*changed, "updated_at"])
    if participants is not None:
        activity.participants.set(_users(participants))
        changed.append("participants")
    if changed:
        _record(activity, activity.item, "changed", actor, fields=sorted(set(changed)))
        if "revision" in changed:
            bus.publish(_rescheduled_event(activity, actor))
    return activity


@transaction.atomic
def reschedule_activity(
    activity: Activity, *, deadline: dt.datetime | str, actor: User, reason: str = ""
) -> Activity:
    """Move an open activity to another deadline."""
    activity = locks.lock(activity)
    require_change(actor, activity)
    if activity.is_done:
        raise Conflict("activity.done", _("The activity is done; plan a new one instead."))
    new_deadline = _deadline(deadline)
    if new_deadline == activity.deadline:
        return activity
    old = activity.deadline
    activity.deadline = new_deadline
    activity.revision = F("revision") + 1
    activity.reminded_at = None
    activity.updated_at = timezone.now()
    activity.save(update_fields=["deadline", "revision", "reminded_at", "updated_at"])
    activity.refresh_from_db(fields=["revision"])
    _record(
        activity,
        activity.item,
        "rescheduled",
        actor,
        previous_deadline=old.isoformat(),
        reason=(reason or "").strip()[:500],
    )
    bus.publish(_rescheduled_event(activity, actor))
    return activity


@transaction.atomic
def complete_activity(activity: Activity, *, actor: User, result: str = "") -> Activity:
    """Mark an activity done, with what came of it."""
    activity = locks.lock(activity)
    require_change(actor, activity)
    if activity.is_done:
        raise Conflict("activity.already_done", _("The activity is done already."))
    activity.is_done = True
    activity.done_at = timezone.now()
    activity.done_by = actor
    activity.result = _clean_result(result)
    activity.updated_at = activity.done_at
    activity.save(update_fields=["is_done", "done_at", "done_by", "result", "updated_at"])
    # A reminder that has not fired yet has nothing left to remind of.
    Notification.objects.filter(activity=activity, read_at=None, kind=Notification.Kind.REMINDER).update(
        read_at=activity.done_at
    )
    _record(activity, activity.item, "completed", actor)
    bus.publish(_completed_event(activity, actor))
    return activity


@transaction.atomic
def delete_activity(activity: Activity, *, actor: User) -> None:
    """Delete an activity (the timeline keeps a line saying so)."""
    activity = locks.lock(activity)
    if not can(actor, Action.DELETE, "activity", owner_id=activity.assigned_to_id):
        raise Forbidden("activity.delete_forbidden", _("You may not delete this activity."))
    _record(activity, activity.item, "deleted", actor)
    activity.delete()


@transaction.atomic
def move_open_activities(source, *, to, actor: User | None) -> list[int]:
    """Move the open activities of one item to another (a converted lead's go to its deal)."""
    moved = list(
        Activity.objects.select_for_update()
        .filter(**{source.kind.value: source}, is_done=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not moved:
        return []
    owners = dict.fromkeys(("lead", "deal", "contact", "company"))
    Activity.objects.filter(pk__in=moved).update(**{**owners, to.kind.value: to}, updated_at=timezone.now())
    timeline.record(
        to,
        kind=TimelineEntry.Kind.ACTIVITY,
        actor=actor,
        data={
            "event": "moved_here",
            "count": len(moved),
            "from_kind": source.kind.value,
            "from_id": source.pk,
        },
    )
    bus.publish(
        events.ActivitiesMoved(
            activity_ids=tuple(moved),
            from_kind=source.kind.value,
            from_id=source.pk,
            kind=to.kind.value,
            item_id=to.pk,
        )
    )
    return moved


def require_change(actor: User, activity: Activity) -> None:
    """Raise Forbidden unless `actor` may change `activity`."""
    if can(actor, Action.UPDATE, "activity", owner_id=activity.assigned_to_id):
        return
    if activity.participants.filter(pk=actor.pk).exists():
        return
    raise Forbidden("activity.change_forbidden", _("You may not change this activity."))


def clean(values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate the plain fields of an activity; every bad field is reported at once."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    kind = values.get("kind")
    if kind not in Activity.Kind.values:
        errors["kind"] = str(_("Choose a call, SMS, e-mail, meeting or task."))
    for name, cleaner in _CLEANERS.items():
        if partial and name not in values:
            continue
        try:
            cleaned[name] = cleaner(values.get(name), kind)
        except Invalid as error:
            errors[name] = str(error.message)
    if errors:
        raise Invalid("activity.invalid", _("Some fields are wrong."), details=errors)
    cleaned["kind"] = kind
    return cleaned


def _subject(raw: Any, kind: str | None) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > 255:
        raise Invalid("field.too_long", _("At most %(limit)d characters.") % {"limit": 255})
    if not text and kind in Activity.Kind.values:
        text = str(Activity.Kind(kind).label)
    return text


def _description(raw: Any, kind: str | None) -> str:
    text = str(raw or "").strip()
    if len(text) > 10_000:
        raise Invalid("field.too_long", _("At most %(limit)d characters.") % {"limit": 10_000})
    return text


def _deadline(raw: Any, kind: str | None = None) -> dt.datetime:
    if raw in (None, ""):
        raise Invalid("activity.deadline_required", _("Say when it is due."))
    value = raw
    if isinstance(raw, str):
        try:
            value = parse_datetime(raw.strip())
        except ValueError:
            value = None
    elif isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        value = dt.datetime.combine(raw, dt.time(9, 0))
    if not isinstance(value, dt.datetime):
        raise Invalid("field.not_a_datetime", _("“%(value)s” is not a date and time.") % {"value": raw})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _span(limit: dt.timedelta):
    def cleaner(raw: Any, kind: str | None) -> dt.timedelta | None:
        if raw in (None, ""):
            return None
        if isinstance(raw, dt.timedelta):
            value = raw
        else:
            try:
                value = dt.timedelta(minutes=int(raw))
            except (TypeError, ValueError):
                raise Invalid(
                    "field.not_a_number", _("“%(value)s” is not a number of minutes.") % {"value": raw}
                ) from None
        if value < dt.timedelta(0) or value > limit:
            raise Invalid("field.out_of_range", _("Out of range."))
        return value

    return cleaner


def _direction(raw: Any, kind: str | None) -> str:
    value = str(raw or "")
    if value not in Activity.Direction.values:
        raise Invalid("activity.bad_direction", _("Incoming or outgoing."))
    if value and kind not in (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.SMS):
        raise Invalid("activity.direction_for_calls", _("Only calls, SMS and e-mails have a direction."))
    return value


def _priority(raw: Any, kind: str | None) -> int:
    try:
        value = int(raw if raw not in (None, "") else Activity.Priority.NORMAL)
    except (TypeError, ValueError):
        value = 0
    if value not in Activity.Priority.values:
        raise Invalid("activity.bad_priority", _("Low, normal or high."))
    return value


_CLEANERS = {
    "subject": _subject,
    "description": _description,
    "deadline": _deadline,
    "duration": _span(MAX_DURATION),
    "direction": _direction,
    "priority": _priority,
    "remind_before": _span(MAX_REMIND_BEFORE),
}


def _clean_result(raw: Any) -> str:
    text = str(raw or "").strip()
    if len(text) > 10_000:
        raise Invalid("field.too_long", _("At most %(limit)d characters.") % {"limit": 10_000})
    return text


def _require_item(actor: User, item) -> None:
    if item is None or item.pk is None:
        raise NotFound("activity.no_item", _("Choose the lead, deal, contact or company."))
    if not can(actor, Action.READ, item.kind.value, owner_id=item.assigned_to_id):
        raise NotFound(f"{item.kind.value}.not_found", _("Not found."))


def _responsible(actor: User, raw: User | int | None) -> User:
    user = resolve_user(raw) if raw not in (None, "") else actor
    if user is None or user.is_system or not user.is_active:
        raise Invalid("activity.responsible_required", _("Choose who is responsible."))
    if not can(actor, Action.CREATE, "activity", owner_id=user.pk):
        raise Forbidden(
            "activity.assign_forbidden", _("You may not plan activities for %(user)s.") % {"user": user}
        )
    return user


def _users(raw: Iterable[User | int]) -> list[User]:
    users = [resolve_user(value) for value in raw or ()]
    return [user for user in users if user is not None]


def _record(activity: Activity, item, event: str, actor: User | None, **extra: Any) -> None:
    timeline.record(
        item,
        kind=TimelineEntry.Kind.ACTIVITY,
        actor=actor,
        text=activity.result if event == "completed" else activity.subject,
        data={
            "event": event,
            "activity_id": activity.pk,
            "activity_kind": activity.kind,
            "subject": activity.subject,
            "deadline": activity.deadline.isoformat(),
            "assigned_to_id": activity.assigned_to_id,
            **({"result": activity.result} if event == "completed" else {}),
            **extra,
        },
    )


def _completed_event(activity: Activity, actor: User | None) -> events.ActivityCompleted:
    return events.ActivityCompleted(
        activity_id=activity.pk,
        activity_kind=activity.kind,
        kind=activity.item_kind,
        item_id=activity.item.pk,
        actor_id=actor.pk if actor else None,
    )


def _rescheduled_event(activity: Activity, actor: User | None) -> events.ActivityRescheduled:
    return events.ActivityRescheduled(
        activity_id=activity.pk,
        activity_kind=activity.kind,
        kind=activity.item_kind,
        item_id=activity.item.pk,
        revision=activity.revision,
        actor_id=actor.pk if actor else None,
    )
