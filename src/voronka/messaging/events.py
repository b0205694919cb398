"""The events the messaging app publishes (after commit, through voronka.lib.bus).

Catalogue: docs/events.md. Each carries the message id, its channel and the item's kind and id,
so automation triggers ("e-mail opened", "link clicked") need no look-up to find the item.
"""

from dataclasses import dataclass

from voronka.crm.events import ItemKindName


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageQueued:
    """message.queued — an e-mail or SMS is waiting for the worker (also after a retry is planned)."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageSent:
    """message.sent — the mail server or SMS gateway accepted the message."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageDelivered:
    """message.delivered — an SMS gateway reported the message delivered to the phone."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageFailed:
    """message.failed — the message was refused (a bounce) or could not be sent after retries."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int
    code: str
    is_bounce: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageOpened:
    """message.opened — the recipient opened the e-mail (published once per message and recipient)."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageClicked:
    """message.clicked — the recipient followed a link (published once per message and recipient)."""

    message_id: int
    channel: str
    kind: ItemKindName
    item_id: int
    url: str
