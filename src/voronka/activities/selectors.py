"""Reads on activities: permission-scoped lists, a user's agenda, counts, and per-item annotations.

Designed for 1,000,000 items: the per-item figures boards and lists show (the next activity,
overdue and today counts, "no next step") are correlated subqueries added to the page's own
queryset (one query for the page, each subquery one index range on (item, is_done, deadline));
per-user counts are one aggregate over (assigned_to, is_done, deadline).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from voronka.accounts.models import Action, User
from voronka.accounts.rights import owner_ids
from voronka.activities.models import Activity, CalendarFeed, Notification
from voronka.crm.selectors.items import visible
from voronka.lib.errors import NotFound

ITEM_FIELDS = ("lead", "deal", "contact", "company")
_RELATED = ("assigned_to", "lead", "deal", "contact", "company")


def _participates(user: User):
    return Exists(Activity.participants.through.objects.filter(activity_id=OuterRef("pk"), user_id=user.pk))


def visible_activities(user: User | None, action: str = Action.READ) -> QuerySet[Activity]:
    """Return the activities `user` may see: those of responsibles in their scope, and their own."""
    queryset = Activity.objects.select_related(*_RELATED)
    if user is None or not user.is_authenticated:
        return queryset.none()
    allowed = owner_ids(user, "activity", action)
    if allowed is None:
        return queryset
    return queryset.filter(Q(assigned_to_id__in=sorted(allowed | {user.pk})) | _participates(user))


def get_visible_activity(user: User | None, activity_id: int | str) -> Activity:
    """Return one activity the user may see, or raise NotFound."""
    try:
        return visible_activities(user).get(pk=int(activity_id))
    except (Activity.DoesNotExist, TypeError, ValueError):
        raise NotFound("activity.not_found", "Activity not found.") from None


def of_user(user: User) -> QuerySet[Activity]:
    """Return the activities `user` is responsible for or takes part in."""
    return Activity.objects.select_related(*_RELATED).filter(Q(assigned_to=user) | _participates(user))


def of_item(item) -> QuerySet[Activity]:
    """Return an item's activities: open ones by deadline first, then done ones, latest first."""
    return (
        Activity.objects.select_related("assigned_to", "done_by")
        .prefetch_related("participants")
        .filter(**{item.kind.value: item})
        .order_by("is_done", "deadline", "pk")
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the start of `day` and of the next day in the company's time zone."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


@dataclass
class Agenda:
    """A user's open activities: overdue, today, the rest of this week, and later."""

    overdue: list[Activity] = field(default_factory=list)
    today: list[Activity] = field(default_factory=list)
    this_week: list[Activity] = field(default_factory=list)
    later: list[Activity] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def agenda(user: User, *, kind: str = "", now: dt.datetime | None = None, limit: int = 200) -> Agenda:
    """Return the user's open activities in the buckets of the "My activities" page."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    today_start, tomorrow = day_bounds(today)
    _sunday, next_monday = day_bounds(today + dt.timedelta(days=6 - today.weekday()))
    queryset = of_user(user).filter(is_done=False)
    if kind:
        queryset = queryset.filter(kind=kind)
    result = Agenda(counts=counts_for(queryset, now=now, week_end=next_monday))
    # Each bucket is one index range; `limit` bounds a page for a user with thousands overdue.
    result.overdue = list(queryset.filter(deadline__lt=now).order_by("deadline", "pk")[:limit])
    result.today = list(
        queryset.filter(deadline__gte=max(now, today_start), deadline__lt=tomorrow).order_by("deadline")[
            :limit
        ]
    )
    result.this_week = list(
        queryset.filter(deadline__gte=tomorrow, deadline__lt=next_monday).order_by("deadline")[:limit]
    )
    result.later = list(
        queryset.filter(deadline__gte=max(next_monday, tomorrow)).order_by("deadline")[:limit]
    )
    return result


def counts_for(
    queryset: QuerySet[Activity], *, now: dt.datetime, week_end: dt.datetime | None = None
) -> dict:
    """Return overdue / today / week / total counts of open activities in `queryset` (one query)."""
    today = timezone.localtime(now).date()
    _start, tomorrow = day_bounds(today)
    week_end = week_end or tomorrow
    return queryset.filter(is_done=False).aggregate(
        overdue=Count("pk", filter=Q(deadline__lt=now)),
        today=Count("pk", filter=Q(deadline__gte=now, deadline__lt=tomorrow)),
        this_week=Count("pk", filter=Q(deadline__gte=tomorrow, deadline__lt=week_end)),
        total=Count("pk"),
    )


def counts_for_user(user: User, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Return the user's overdue and today counts (the badge in the navigation)."""
    now = now or timezone.now()
    return counts_for(Activity.objects.filter(assigned_to=user), now=now)


def counts_per_user(user_ids: list[int], *, now: dt.datetime | None = None) -> dict[int, dict[str, int]]:
    """Return {user id: {"overdue", "today", "total"}} for several users in one grouped query."""
    now = now or timezone.now()
    _start, tomorrow = day_bounds(timezone.localtime(now).date())
    rows = (
        Activity.objects.filter(assigned_to_id__in=user_ids, is_done=False)
        .values("assigned_to_id")
        .annotate(
            overdue=Count("pk", filter=Q(deadline__lt=now)),
            today=Count("pk", filter=Q(deadline__gte=now, deadline__lt=tomorrow)),
            total=Count("pk"),
        )
    )
    found = {row.pop("assigned_to_id"): row for row in rows}
    return {pk: found.get(pk, {"overdue": 0, "today": 0, "total": 0}) for pk in user_ids}


def _open_of(kind: str) -> QuerySet[Activity]:
    if kind not in ITEM_FIELDS:
        raise ValueError(kind)
    return Activity.objects.filter(**{kind: OuterRef("pk")}, is_done=False)


def _count(queryset: QuerySet[Activity], kind: str):
    counted = queryset.order_by().values(kind).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def annotate_next_activity(queryset: QuerySet, kind: str, *, now: dt.datetime | None = None) -> QuerySet:
    """Add the next open activity and the overdue/today counts to every item of `queryset`.

    Adds `next_activity_id`, `next_activity_deadline`, `next_activity_kind`,
    `next_activity_subject`, `overdue_count`, `today_count` and `has_next_step` — in the
    queryset's own query, so a board or list page costs no extra query per card.
    """
    now = now or timezone.now()
    _start, tomorrow = day_bounds(timezone.localtime(now).date())
    open_ = _open_of(kind)
    following = open_.order_by("deadline", "pk")
    return queryset.annotate(
        next_activity_id=Subquery(following.values("pk")[:1]),
        next_activity_deadline=Subquery(following.values("deadline")[:1]),
        next_activity_kind=Subquery(following.values("kind")[:1]),
        next_activity_subject=Subquery(following.values("subject")[:1]),
        overdue_count=_count(open_.filter(deadline__lt=now), kind),
        today_count=_count(open_.filter(deadline__gte=now, deadline__lt=tomorrow), kind),
        has_next_step=Exists(open_),
    )


def without_next_step(queryset: QuerySet, kind: str) -> QuerySet:
    """Narrow `queryset` to items with no open (planned) activity."""
    return queryset.filter(~Exists(_open_of(kind)))


def _open_items(user: User, kind: str) -> QuerySet:
    items = visible(user, kind)
    if kind in ("lead", "deal"):
        items = items.filter(is_closed=False)
    return items


def no_next_step_count(user: User, kind: str) -> int:
    """Count the open items `user` may see that have no planned activity."""
    return without_next_step(_open_items(user, kind), kind).count()


def no_next_step_per_user(user: User, kind: str) -> dict[int | None, int]:
    """Return {responsible id: open items without a planned activity} within `user`'s scope."""
    rows = (
        without_next_step(_open_items(user, kind), kind)
        .order_by()
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
    )
    return {row["assigned_to_id"]: row["n"] for row in rows}


def week(user: User, *, monday: dt.date) -> dict[dt.date, list[Activity]]:
    """Return the user's activities (open and done) of the week starting `monday`, by day."""
    start, _end = day_bounds(monday)
    end = start + dt.timedelta(days=7)
    days: dict[dt.date, list[Activity]] = {monday + dt.timedelta(days=n): [] for n in range(7)}
    rows = of_user(user).filter(deadline__gte=start, deadline__lt=end).order_by("deadline", "pk")[:1000]
    for activity in rows:
        days.setdefault(timezone.localtime(activity.deadline).date(), []).append(activity)
    return days


def feed_user(token: str) -> User:
    """Return the owner of a calendar feed token, or raise NotFound."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token or "-").first()
    if feed is None or not feed.user.is_active:
        raise NotFound("calendar.not_found", "Calendar not found.")
    return feed.user


def feed_activities(user: User, *, limit: int = 5000) -> QuerySet[Activity]:
    """Return the open activities an iCalendar feed of `user` lists."""
    return of_user(user).filter(is_done=False).order_by("deadline", "pk")[:limit]


def notifications(user: User, *, unread_only: bool = False, limit: int = 50) -> QuerySet[Notification]:
    """Return the user's latest notifications."""
    queryset = Notification.objects.filter(user=user)
    if unread_only:
        queryset = queryset.filter(read_at=None)
    return queryset.select_related("activity")[:limit]


def unread_count(user: User) -> int:
    """Return how many notifications the user has not read."""
    return Notification.objects.filter(user=user, read_at=None).count()


def get_notification(user: User, notification_id: int | str) -> Notification:
    """Return one of the user's notifications, or raise NotFound."""
    try:
        return Notification.objects.get(pk=int(notification_id), user=user)
    except (Notification.DoesNotExist, TypeError, ValueError):
        raise NotFound("notification.not_found", "Notification not found.") from None
