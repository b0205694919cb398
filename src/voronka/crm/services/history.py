"""Entering a stage: the StageHistory row, the item's stage timestamp and the StageChanged event.

Every creation of a lead or deal and every move goes through `enter()`, so the
history has exactly one row per entry into a stage. A migration from another CRM replaces a
new item's creation row with the history it had there (`import_history()`).
"""

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import bulk_insert, events
from voronka.crm.models import Stage, StageHistory
from voronka.crm.services import items
from voronka.lib import bus
from voronka.lib.errors import Invalid, Refused


def enter(
    item,
    *,
    to: Stage,
    source: Stage | None,
    actor: User | None,
    reason: str = "",
    is_backward: bool = False,
    at=None,
) -> StageHistory:
    """Append the history row for `item` entering `to`, and publish StageChanged after commit."""
    entry = bulk_insert.insert_one(
        new_entry(item, to=to, source=source, actor=actor, reason=reason, is_backward=is_backward, at=at)
    )
    announce(item, entry)
    return entry


def new_entry(
    item,
    *,
    to: Stage,
    source: Stage | None,
    actor: User | None,
    reason: str = "",
    is_backward: bool = False,
    at=None,
) -> StageHistory:
    """The (unsaved) row `enter()` writes, for a caller that inserts it with other rows; once it
    is inserted, the caller calls `announce()`."""
    return _row(
        item,
        to,
        source,
        moved_at=at or timezone.now(),
        moved_by=actor,
        is_backward=is_backward,
        reason=reason,
    )


def announce(item, entry: StageHistory) -> None:
    """Publish StageChanged (after commit) for an inserted history row of `item`."""
    bus.publish(
        events.StageChanged(
            kind=item.kind.value,
            item_id=item.pk,
            entry_id=entry.pk,
            from_stage_id=entry.from_stage_id,
            to_stage_id=entry.to_stage_id,
            actor_id=entry.moved_by_id,
        )
    )


def _row(
    item,
    to: Stage,
    source: Stage | None,
    *,
    moved_at,
    moved_by: User | None,
    is_backward: bool,
    reason: str = "",
) -> StageHistory:
    """The (unsaved) history row for `item` entering `to` from `source`."""
    return bulk_insert.new(
        StageHistory,
        {item.kind.value: item, "from_stage": source, "to_stage": to, "moved_by": moved_by},
        pipeline_id=to.pipeline_id,
        moved_at=moved_at,
        assigned_to_id=item.assigned_to_id,
        is_backward=is_backward,
        reason=reason,
    )


def position(stage: Stage) -> tuple[int, int]:
    """Return the stage's place in its pipeline's order."""
    return (stage.sort, stage.pk)


@transaction.atomic
def import_history(item, entries: Sequence[tuple[Stage, dt.datetime, User | None]], *, actor: User) -> int:
    """Replace the creation row of an item just imported with its history from the system it came from.

    Refused unless the item has only its creation row (no real history is ever overwritten) and
    the last entry is the item's current stage. Publishes nothing: these moves happened elsewhere.
    """
    kind = item.kind.value
    items.require(actor, Action.UPDATE, kind, owner_id=item.assigned_to_id)
    current = StageHistory.objects.filter(**{kind: item})
    rows = list(current[:2])
    if len(rows) != 1 or rows[0].from_stage_id is not None:
        raise Refused("history.not_fresh", _("Only a newly imported item takes a history from elsewhere."))
    entries = sorted(entries, key=lambda entry: entry[1])
    stage_now = item.status if kind == "lead" else item.stage
    if not entries or entries[-1][0].pk != stage_now.pk:
        raise Invalid("history.wrong_end", _("The imported history must end in the item's current stage."))
    current.delete()
    previous: Stage | None = None
    for stage, moved_at, moved_by in entries:
        backward = (
            previous is not None
            and previous.pipeline_id == stage.pipeline_id
            and position(stage) < position(previous)
        )
        _row(item, stage, previous, moved_at=moved_at, moved_by=moved_by, is_backward=backward).save()
        previous = stage
    return len(entries)
