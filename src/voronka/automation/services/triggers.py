"""The engine's trigger half: an event about an item moves it to the stage of a matching trigger.

Rules enforced here (Bitrix24's, reference §4.5):
- an event on a lead or deal reaches that item; an event on a contact or company reaches the
  client's most recent open deal, or else its most recent open lead;
- closed items are not moved; the candidates are the active triggers of the event's kind in
  the item's pipeline on stages after the current one, plus those on earlier stages that allow
  moving back; they are taken in stage order and the first whose own rule (form, link, activity
  kind...) and condition match moves the item, on behalf of the system user — once per event;
- every move (and a move the core refused) is logged (TriggerFiring) and on the item's timeline.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from voronka.accounts.services import system_user
from voronka.automation.conditions import Outcome, evaluate
from voronka.automation.models import Trigger, TriggerFiring
from voronka.crm import locks
from voronka.crm.models import Deal, Lead, Stage
from voronka.crm.services import history, timeline
from voronka.crm.services.stages import move, stage_of
from voronka.lib.errors import DomainError, NotFound


def targets(kind: str, item_id: int) -> list:
    """Return the leads and deals an event about (kind, item_id) reaches."""
    if kind == "lead":
        return list(Lead.objects.filter(pk=item_id))
    if kind == "deal":
        return list(Deal.objects.filter(pk=item_id))
    if kind not in ("contact", "company"):
        return []
    deal = Deal.objects.filter(**{f"{kind}_id": item_id}, is_closed=False).order_by("-pk").first()
    if deal is not None:
        return [deal]
    lead = Lead.objects.filter(**{f"{kind}_id": item_id}, is_closed=False).order_by("-pk").first()
    return [lead] if lead is not None else []


def matches(trigger: Trigger, data: dict) -> bool:
    """Return whether the event's details satisfy the trigger's own rule."""
    params = trigger.params or {}
    if trigger.kind == Trigger.Kind.FORM_SUBMITTED and params.get("form_id"):
        return data.get("form_id") == params["form_id"]
    if trigger.kind == Trigger.Kind.LINK_CLICKED and params.get("url_contains"):
        return params["url_contains"].lower() in str(data.get("url", "")).lower()
    if trigger.kind == Trigger.Kind.ACTIVITY_COMPLETED and params.get("activity_kind"):
        return data.get("activity_kind") == params["activity_kind"]
    if trigger.kind == Trigger.Kind.CALL_RECEIVED and params.get("status"):
        return data.get("status") == params["status"]
    if trigger.kind == Trigger.Kind.FIELD_CONDITION:
        # "Became true": one of the fields the condition reads has just changed (and it holds now).
        changed = set(data.get("fields") or ())
        watched = {rule["field"].split(".", 1)[0] for rule in trigger.condition.get("rules", [])}
        return bool(changed & watched)
    if trigger.kind == Trigger.Kind.WEBHOOK:
        return data.get("trigger_id") == trigger.pk
    return True


@dataclass(frozen=True)
class Candidate:
    trigger: Trigger
    direction: str  # "forward", "backward", "current"
    is_eligible: bool  # may move the item from where it is now
    matches_event: bool | None  # None when no event is given (simulation)
    outcome: Outcome


def candidates(item, *, kind: str, data: dict | None) -> list[Candidate]:
    """Return the triggers of `kind` in the item's pipeline, in stage order, each judged."""
    current = stage_of(item)
    found = (
        Trigger.objects.filter(stage__pipeline_id=current.pipeline_id, is_active=True)
        .select_related("stage")
        .order_by("stage__sort", "stage_id", "sort", "pk")
    )
    if kind:
        found = found.filter(kind=kind)
    judged = []
    for trigger in found:
        here, there = history.position(current), history.position(trigger.stage)
        direction = "current" if there == here else ("forward" if there > here else "backward")
        eligible = not item.is_closed and (
            direction == "forward" or (direction == "backward" and trigger.allow_backward)
        )
        judged.append(
            Candidate(
                trigger=trigger,
                direction=direction,
                is_eligible=eligible,
                matches_event=None if data is None else matches(trigger, data),
                outcome=evaluate(trigger.condition, item),
            )
        )
    return judged


def apply_event(event: str, *, kind: str, item_id: int, data: dict) -> int:
    """Move the items an event reaches by the first matching trigger each; return how many moved."""
    moved = 0
    for target in targets(kind, item_id):
        if apply_to_item(target, event=event, data=data):
            moved += 1
    return moved


@transaction.atomic
def apply_to_item(item, *, event: str, data: dict) -> bool:
    """Move one item by the first trigger of `event` that matches; return whether it moved."""
    item = locks.lock(item)
    for candidate in candidates(item, kind=event, data=data):
        if not (candidate.is_eligible and candidate.matches_event and candidate.outcome.holds):
            continue
        return _fire(item, candidate.trigger, event=event)
    return False


def _fire(item, trigger: Trigger, *, event: str) -> bool:
    source = stage_of(item)
    reason = gettext("Trigger “%(name)s”") % {"name": trigger}
    note = ""
    try:
        with transaction.atomic():
            move(item, to=trigger.stage, actor=system_user(), reason=reason)
    except DomainError as refusal:
        note = str(refusal.message)
    TriggerFiring.objects.create(
        trigger=trigger,
        trigger_name=str(trigger)[:200],
        item_kind=item.kind.value,
        item_id=item.pk,
        event=event,
        from_stage=source,
        to_stage=trigger.stage,
        is_moved=not note,
        note=note,
    )
    timeline.record(
        item,
        kind=timeline.Kind.ROBOT,
        actor=None,
        text=note or reason,
        data={
            "trigger_id": trigger.pk,
            "trigger": str(trigger),
            "event": event,
            "moved": not note,
            "from": source.code,
            "to": trigger.stage.code,
        },
    )
    return not note


def get_webhook_trigger(token: str) -> Trigger:
    """Return the active inbound-webhook trigger with this secret token, or raise NotFound."""
    trigger = (
        Trigger.objects.filter(token=token, kind=Trigger.Kind.WEBHOOK, is_active=True)
        .select_related("stage__pipeline")
        .first()
        if token
        else None
    )
    if trigger is None:
        raise NotFound("trigger.not_found", gettext("Unknown trigger."))
    return trigger


def call_webhook_trigger(token: str, *, target: str) -> bool:
    """Apply an inbound-webhook trigger to `target` ("lead_12", "DEAL_5"); return whether it moved."""
    trigger = get_webhook_trigger(token)
    kind, _sep, raw_id = str(target or "").strip().lower().partition("_")
    if kind not in ("lead", "deal", "contact", "company") or not raw_id.isdigit():
        from voronka.lib.errors import Invalid

        raise Invalid("trigger.bad_target", gettext("Give the target as lead_<id> or deal_<id>."))
    found = targets(kind, int(raw_id))
    found = [item for item in found if stage_of(item).pipeline_id == trigger.stage.pipeline_id]
    if not found:
        raise NotFound("trigger.target_not_found", gettext("The target is not found."))
    return apply_to_item(found[0], event=Trigger.Kind.WEBHOOK, data={"trigger_id": trigger.pk})


def stage_title(stage: Stage | None) -> str:
    return stage.title if stage is not None else ""
