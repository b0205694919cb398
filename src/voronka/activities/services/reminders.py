"""Reminders before an activity's deadline (in the interface and by e-mail).

Rules enforced here:
- a reminder is due `remind_before` ahead of the deadline, and fires at most once per revision of
  the activity: rescheduling it or changing its reminder bumps the revision, and a task scheduled
  for an older revision does nothing;
- nothing is reminded of an activity that is done or whose deadline has passed;
- the responsible and the participants get a notification in the interface; those with an
  e-mail address also get an e-mail. The claim (a conditional UPDATE of `reminded_at`) commits
  before the e-mails go out, so a retried task never sends twice (at most once).
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.activities.models import Activity, Notification
from voronka.activities.services.notifications import notify

logger = logging.getLogger(__name__)


def due_at(activity: Activity) -> dt.datetime | None:
    """Return when the activity's reminder is due, or None when it has none to give."""
    if activity.is_done or activity.remind_before is None or activity.reminded_at is not None:
        return None
    if activity.deadline <= timezone.now():
        return None
    return activity.deadline - activity.remind_before


@transaction.atomic
def claim(activity_id: int, revision: int) -> tuple[Activity, list[User]] | None:
    """Claim the reminder of one revision and notify in the interface; None when not due any more."""
    now = timezone.now()
    claimed = Activity.objects.filter(
        pk=activity_id, revision=revision, is_done=False, reminded_at=None, deadline__gt=now
    ).update(reminded_at=now)
    if not claimed:
        return None
    activity = Activity.objects.select_related("assigned_to").get(pk=activity_id)
    people = [activity.assigned_to, *activity.participants.exclude(pk=activity.assigned_to_id)]
    for user in people:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            notify(
                user,
                text=_("Reminder: %(subject)s at %(time)s") % _describe(activity),
                kind=Notification.Kind.REMINDER,
                activity=activity,
                item=activity.item,
                key=f"reminder:{activity.pk}:{revision}:{user.pk}",
            )
    return activity, people


def remind(activity_id: int, revision: int) -> int:
    """Give the reminder of one revision of an activity; return how many e-mails went out."""
    claimed = claim(activity_id, revision)
    if claimed is None:
        return 0
    return _mail(*claimed)


def _mail(activity: Activity, people: list[User]) -> int:
    sent = 0
    for user in people:
        if not user.email or not user.is_active:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = _email(activity)
        try:
            sent += send_mail(subject, body, None, [user.email])
        except OSError:
            # The interface notification is there; a mail server outage must not retry the claim.
            logger.exception("reminder e-mail to %s failed", user.email)
    return sent


def catch_up(*, now: dt.datetime | None = None, grace: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Give reminders whose task was lost (a killed worker); housekeeping runs this.

    Only reminders due for longer than `grace` are taken, so the scheduled task normally wins;
    the claim makes a task and this safety net racing each other harmless.
    """
    now = now or timezone.now()
    due = (
        Activity.objects.filter(
            is_done=False,
            reminded_at=None,
            remind_before__isnull=False,
            deadline__gt=now,
            deadline__lte=now + dt.timedelta(days=31),
        )
        .annotate(
            remind_at=ExpressionWrapper(F("deadline") - F("remind_before"), output_field=DateTimeField())
        )
        .filter(remind_at__lte=now - grace)
        .values_list("pk", "revision")[:200]
    )
    given = 0
    for pk, revision in list(due):
        claimed = claim(pk, revision)
        if claimed is not None:
            _mail(*claimed)
            given += 1
    return given


def _describe(activity: Activity) -> dict[str, str]:
    local = timezone.localtime(activity.deadline)
    return {
        "subject": activity.subject,
        "time": formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        "kind": str(activity.get_kind_display()),
        "item": str(activity.item),
    }


def _email(activity: Activity) -> tuple[str, str]:
    facts = _describe(activity)
    subject = _("Reminder: %(kind)s “%(subject)s” at %(time)s") % facts
    lines = [
        _("%(kind)s: %(subject)s") % facts,
        _("Due: %(time)s") % facts,
        _("About: %(item)s") % facts,
    ]
    if activity.description:
        lines += ["", activity.description]
    lines += ["", _page_url()]
    return subject, "\n".join(lines)


def _page_url() -> str:
    try:
        path = reverse("activities:mine")
    except NoReverseMatch:
        path = "/"
    return settings.PUBLIC_URL.rstrip("/") + path
