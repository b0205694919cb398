"""Notifications in the interface: one row per user and thing to tell.

Rules enforced here:
- a notification with a key is created once (a retried task finds the row and stops);
- only its user marks a notification read.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.activities.models import Activity, Notification
from voronka.lib.errors import NotFound


def notify(
    user: User,
    *,
    text: str,
    kind: str = Notification.Kind.OTHER,
    activity: Activity | None = None,
    item=None,
    key: str | None = None,
) -> tuple[Notification, bool]:
    """Tell `user` something in the interface; return the notification and whether it is new."""
    values = {
        "user": user,
        "kind": kind,
        "text": str(text)[:500],
        "activity": activity,
        "item_kind": item.kind.value if item is not None else "",
        "item_id": item.pk if item is not None else None,
    }
    if key is None:
        return Notification.objects.create(**values), True
    # The unique key turns a second attempt into a read (no check-then-insert race).
    return Notification.objects.get_or_create(key=key[:100], defaults=values)


def notify_assigned(activity: Activity, *, user: User, actor: User) -> Notification:
    """Tell `user` that `actor` made them responsible for an activity."""
    text = _("%(actor)s planned for you: %(subject)s") % {"actor": actor, "subject": activity.subject}
    notification, _created = notify(
        user,
        text=text,
        kind=Notification.Kind.ASSIGNED,
        activity=activity,
        item=activity.item,
        key=f"assigned:{activity.pk}:{activity.revision}:{user.pk}",
    )
    return notification


@transaction.atomic
def mark_read(notification: Notification, *, actor: User) -> Notification:
    """Mark one of the actor's notifications read."""
    if notification.user_id != actor.pk:
        raise NotFound("notification.not_found", _("Notification not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; return how many."""
    return Notification.objects.filter(user=actor, read_at=None).update(read_at=timezone.now())
