"""The events the activities app publishes (after commit, through voronka.lib.bus).

Catalogue: docs/events.md. Each carries the item's kind and id, so automation
("activity completed" triggers) needs no look-up to know where it happened.
"""

from dataclasses import dataclass

from voronka.crm.events import ItemKindName


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivityCreated:
    """activity.created — an activity was planned (or logged as done) on an item."""

    activity_id: int
    activity_kind: str  # call, sms, email, meeting, task
    kind: ItemKindName
    item_id: int
    assigned_to_id: int
    is_done: bool
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivityRescheduled:
    """activity.rescheduled — an open activity got a new deadline."""

    activity_id: int
    activity_kind: str
    kind: ItemKindName
    item_id: int
    revision: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivityCompleted:
    """activity.completed — an activity was marked done (with its result)."""

    activity_id: int
    activity_kind: str
    kind: ItemKindName
    item_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivitiesMoved:
    """activity.moved — open activities moved to another item (a converted lead's go to its deal)."""

    activity_ids: tuple[int, ...]
    from_kind: ItemKindName
    from_id: int
    kind: ItemKindName
    item_id: int
