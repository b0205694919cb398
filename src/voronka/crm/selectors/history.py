"""Reads of the stage history, the timeline and the recycle bin (scoped like their items)."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import owner_ids
from voronka.crm.models import RecycleBinEntry, StageHistory, TimelineEntry
from voronka.crm.selectors.items import get_visible, scope_filter
from voronka.lib.errors import NotFound


def stage_history(item) -> QuerySet[StageHistory]:
    """Return an item's stage history, oldest first."""
    return (
        StageHistory.objects.filter(**{item.kind.value: item})
        .select_related("from_stage", "to_stage", "moved_by")
        .order_by("moved_at", "pk")
    )


def visible_stage_history(user: User, kind: str) -> QuerySet[StageHistory]:
    """Return the history rows of the leads or deals `user` may see."""
    queryset = StageHistory.objects.filter(**{f"{kind}__isnull": False}).select_related(
        "from_stage", "to_stage"
    )
    return scope_filter(queryset, user, kind, field=f"{kind}__assigned_to_id")


def timeline(item) -> QuerySet[TimelineEntry]:
    """Return an item's timeline, pinned entries first, then newest first."""
    return (
        TimelineEntry.objects.filter(**{item.kind.value: item})
        .select_related("actor")
        .order_by("-is_pinned", "-created_at", "-pk")
    )


def get_visible_timeline_entry(user: User, kind: str, item_id: int, entry_id: int) -> TimelineEntry:
    """Return one timeline entry of an item the user may see, or raise NotFound."""
    item = get_visible(user, kind, item_id)
    try:
        return timeline(item).get(pk=entry_id)
    except (TimelineEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound("timeline.not_found", _("Timeline entry not found.")) from None


def get_visible_comment(user: User, entry_id: int) -> tuple[str, TimelineEntry]:
    """Return (item kind, comment) for a comment on an item the user may see, or raise NotFound."""
    owners = (
        TimelineEntry.objects.filter(pk=entry_id, kind=TimelineEntry.Kind.COMMENT)
        .values("lead_id", "deal_id", "contact_id", "company_id")
        .first()
    )
    for kind in ("lead", "deal", "contact", "company"):
        if owners and owners[f"{kind}_id"]:
            return kind, get_visible_timeline_entry(user, kind, owners[f"{kind}_id"], entry_id)
    raise NotFound("timeline.not_found", _("Timeline entry not found."))


def recycle_bin(user: User) -> QuerySet[RecycleBinEntry]:
    """Return the recycle bin entries of items the user could delete."""
    condition = Q()
    for kind in ("lead", "deal", "contact", "company"):
        allowed = owner_ids(user, kind, Action.DELETE)
        if allowed is None:
            condition |= Q(entity=kind)
        elif allowed:
            condition |= Q(entity=kind, assigned_to_id_snapshot__in=sorted(allowed))
    if not condition:
        return RecycleBinEntry.objects.none()
    return RecycleBinEntry.objects.filter(condition).select_related("deleted_by")


def get_recycle_entry(user: User, entry_id: int) -> RecycleBinEntry:
    """Return a recycle bin entry the user may restore, or raise NotFound."""
    try:
        return recycle_bin(user).get(pk=entry_id)
    except (RecycleBinEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound("recycle.not_found", _("Recycle bin entry not found.")) from None
