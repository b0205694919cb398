"""Moving leads and deals between the stages of their pipeline.

Rules enforced here and nowhere else (ARCHITECTURE.md, "Rules the services enforce"):
- a move stays inside the item's pipeline (a deal changes pipeline with `change_pipeline()`);
- the actor needs the update right on the item;
- forward moves are free; a move back needs the move-back right and a reason;
- moving into a lost stage (a loss reason) needs a reason text;
- won and lost stages close the item; a closed item is re-opened with `reopen()`, never moved;
- a lead reaches its won status only by conversion (crm.services.conversion).
Every move appends a StageHistory row, writes the timeline and publishes
StageChanged after commit.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.crm import locks
from voronka.crm.errors import MoveRefused
from voronka.crm.models import Deal, Lead, Pipeline, Stage
from voronka.crm.services import history, items, timeline

Item = Lead | Deal


def stage_of(item: Item) -> Stage:
    """Return the item's current stage (a lead's status)."""
    return item.status if isinstance(item, Lead) else item.stage


def _set_stage(item: Item, stage: Stage) -> None:
    if isinstance(item, Lead):
        item.status = stage
    else:
        item.stage = stage
    item.is_closed = stage.closes_items
    item.closed_at = timezone.now() if stage.closes_items else None
    item.stage_changed_at = timezone.now()
    item.updated_at = timezone.now()


def _save_stage(item: Item) -> None:
    field = "status" if isinstance(item, Lead) else "stage"
    item.save(update_fields=[field, "is_closed", "closed_at", "stage_changed_at", "updated_at"])


@transaction.atomic
def move(item: Item, *, to: Stage, actor: User, reason: str = "") -> Item:
    """Move a lead or deal to another stage of its pipeline."""
    # Re-read under a row lock: two managers may drop the same card at once.
    item = locks.lock(item)
    source = stage_of(item)
    if to.pk == source.pk:
        return item
    reason = (reason or "").strip()
    is_backward = _check_move(item, source=source, to=to, actor=actor, reason=reason)
    _set_stage(item, to)
    _save_stage(item)
    history.enter(item, to=to, source=source, actor=actor, reason=reason, is_backward=is_backward)
    timeline.record(
        item,
        kind=timeline.Kind.STAGE_CHANGED,
        actor=actor,
        data={
            "from": source.code,
            "to": to.code,
            "from_id": source.pk,
            "to_id": to.pk,
            "reason": reason,
            "backward": is_backward,
        },
    )
    return item


def check_move(item: Item, *, to: Stage, actor: User, reason: str = "") -> None:
    """Raise MoveRefused if moving `item` to `to` would be refused (for previews; changes nothing)."""
    source = stage_of(item)
    if to.pk != source.pk:
        _check_move(item, source=source, to=to, actor=actor, reason=(reason or "").strip())


# Refusal messages per item kind: the noun's gender changes the whole sentence in Russian.
_MESSAGES = {
    "lead": {
        "item_closed": _("The lead is closed. Re-open it first."),
        "backward_forbidden": _("You may not move a lead back to an earlier status."),
        "reason_required": _("Say why the lead goes back."),
        "loss_reason_required": _("Say why the lead is junk."),
    },
    "deal": {
        "item_closed": _("The deal is closed. Re-open it first."),
        "backward_forbidden": _("You may not move a deal back to an earlier stage."),
        "reason_required": _("Say why the deal goes back."),
        "loss_reason_required": _("Say why the deal is lost."),
    },
}


def _refuse(item: Item, code: str) -> MoveRefused:
    return MoveRefused(f"stage.{code}", _MESSAGES[item.kind.value][code])


def _check_move(item: Item, *, source: Stage, to: Stage, actor: User, reason: str) -> bool:
    items.require(actor, Action.UPDATE, item.kind, owner_id=item.assigned_to_id)
    if to.pipeline_id != source.pipeline_id:
        raise MoveRefused("stage.foreign_pipeline", _("This stage belongs to another pipeline."))
    if item.is_closed:
        raise _refuse(item, "item_closed")
    if isinstance(item, Lead) and to.is_won:
        raise MoveRefused("stage.convert_instead", _("A lead reaches this status by conversion. Convert it."))
    is_backward = history.position(to) < history.position(source)
    if is_backward:
        if not can(actor, Action.MOVE_BACK, item.kind, owner_id=item.assigned_to_id):
            raise _refuse(item, "backward_forbidden")
        if not reason:
            raise _refuse(item, "reason_required")
    if to.is_lost and not reason:
        raise _refuse(item, "loss_reason_required")
    return is_backward


@transaction.atomic
def reopen(item: Item, *, to: Stage | None = None, actor: User, reason: str) -> Item:
    """Re-open a closed lead or deal into an open stage (by default the last open one)."""
    item = locks.lock(item)
    source = stage_of(item)
    reason = (reason or "").strip()
    if not item.is_closed:
        raise MoveRefused("stage.not_closed", _("It is not closed."))
    if isinstance(item, Lead) and item.converted_at:
        raise MoveRefused("stage.converted", _("A converted lead cannot be re-opened."))
    if not can(actor, Action.MOVE_BACK, item.kind, owner_id=item.assigned_to_id):
        raise MoveRefused("stage.backward_forbidden", _("You may not re-open it."))
    if not reason:
        raise MoveRefused("stage.reason_required", _("Say why it is re-opened."))
    if to is None:
        to = source.pipeline.stages.filter(semantics=Stage.Semantics.OPEN).order_by("-sort", "-pk").first()
    if to is None or to.pipeline_id != source.pipeline_id or to.closes_items:
        raise MoveRefused("stage.reopen_target", _("Pick an open stage of the same pipeline."))
    _set_stage(item, to)
    _save_stage(item)
    history.enter(item, to=to, source=source, actor=actor, reason=reason, is_backward=True)
    timeline.record(
        item,
        kind=timeline.Kind.REOPENED,
        actor=actor,
        data={"from": source.code, "to": to.code, "from_id": source.pk, "to_id": to.pk, "reason": reason},
    )
    return item


@transaction.atomic
def change_pipeline(deal: Deal, *, pipeline: Pipeline, actor: User, stage: Stage | None = None) -> Deal:
    """Move an open deal into another deal pipeline (its first stage unless one is given)."""
    deal = locks.lock(deal)
    items.require(actor, Action.UPDATE, "deal", owner_id=deal.assigned_to_id)
    if pipeline.kind != Pipeline.Kind.DEAL:
        raise MoveRefused("pipeline.not_for_deals", _("This pipeline is not a deal pipeline."))
    if deal.is_closed:
        raise MoveRefused("stage.item_closed", _("The deal is closed. Re-open it first."))
    if pipeline.pk == deal.pipeline_id:
        return deal
    stage = stage or pipeline.stages.filter(semantics=Stage.Semantics.OPEN).order_by("sort", "pk").first()
    if stage is None or stage.pipeline_id != pipeline.pk or stage.closes_items:
        raise MoveRefused("stage.reopen_target", _("Pick an open stage of the new pipeline."))
    source = deal.stage
    deal.pipeline = pipeline
    _set_stage(deal, stage)
    deal.save(update_fields=["pipeline", "stage", "is_closed", "closed_at", "stage_changed_at", "updated_at"])
    history.enter(deal, to=stage, source=source, actor=actor)
    timeline.record(
        deal,
        kind=timeline.Kind.STAGE_CHANGED,
        actor=actor,
        data={
            "from": source.code,
            "to": stage.code,
            "from_id": source.pk,
            "to_id": stage.pk,
            "pipeline_id": pipeline.pk,
            "reason": "",
        },
    )
    return deal
