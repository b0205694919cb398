"""Entering a stage: the StageHistory row, the item's stage timestamp and the StageChanged event.

Every creation of a lead or deal and every move goes through `enter()`, so the
history has exactly one row per entry into a stage.
"""

from django.utils import timezone

from voronka.accounts.models import User
from voronka.crm import events
from voronka.crm.models import Stage, StageHistory
from voronka.lib import bus


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
    moved_at = at or timezone.now()
    entry = StageHistory.objects.create(
        **{item.kind.value: item},
        pipeline_id=to.pipeline_id,
        from_stage=source,
        to_stage=to,
        moved_at=moved_at,
        moved_by=actor,
        assigned_to_id=item.assigned_to_id,
        is_backward=is_backward,
        reason=reason,
    )
    bus.publish(
        events.StageChanged(
            kind=item.kind.value,
            item_id=item.pk,
            entry_id=entry.pk,
            from_stage_id=source.pk if source else None,
            to_stage_id=to.pk,
            actor_id=actor.pk if actor else None,
        )
    )
    return entry


def position(stage: Stage) -> tuple[int, int]:
    """Return the stage's place in its pipeline's order."""
    return (stage.sort, stage.pk)
