"""The events the CRM core publishes (after commit, through voronka.lib.bus).

The whole catalogue, with the events of the other apps, is docs/events.md.
Events carry IDs only; subscribers re-read what they need.
"""

from dataclasses import dataclass
from typing import Literal

ItemKindName = Literal["lead", "deal", "contact", "company"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemCreated:
    """item.created — a lead, deal, contact or company was created."""

    kind: ItemKindName
    item_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemUpdated:
    """item.updated — fields of an item changed; `fields` names them."""

    kind: ItemKindName
    item_id: int
    fields: tuple[str, ...]
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemDeleted:
    """item.deleted — an item went to the recycle bin."""

    kind: ItemKindName
    item_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemRestored:
    """item.restored — an item came back from the recycle bin."""

    kind: ItemKindName
    item_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StageChanged:
    """item.stage_changed — a lead or deal entered a stage (creation counts as entering the first one)."""

    kind: Literal["lead", "deal"]
    item_id: int
    entry_id: int  # the StageHistory row: one per entry into a stage
    from_stage_id: int | None
    to_stage_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LeadConverted:
    """lead.converted — a lead became a deal and/or a contact and company."""

    lead_id: int
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class CommentAdded:
    """timeline.comment_added — somebody commented on an item."""

    kind: ItemKindName
    item_id: int
    entry_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class RequestReceived:
    """request.received — an inbound request was routed to an item (new or existing)."""

    kind: ItemKindName
    item_id: int
    outcome: str  # "lead_created", "added_to_lead", "repeat_lead", "deal_created", "added_to_deal"
    channel: str
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemsMerged:
    """item.merged — a duplicate was merged into an existing item."""

    kind: ItemKindName
    item_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ModeChanged:
    """crm.mode_changed — the working mode switched between classic and simple."""

    mode: Literal["classic", "simple"]
    converted_leads: int
    actor_id: int | None
