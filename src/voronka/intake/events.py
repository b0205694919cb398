"""The events the intake app publishes (after commit, through voronka.lib.bus).

Catalogue: docs/events.md. The channel events carry the item (`kind`, `item_id`) the request
reached, so automation triggers ("a form was filled", "a call came in") fire on them.
"""

from dataclasses import dataclass

from voronka.crm.events import ItemKindName


@dataclass(frozen=True, kw_only=True, slots=True)
class FormSubmitted:
    """form.submitted — a web form post was routed to a lead or deal."""

    form_id: int
    channel_id: int
    request_id: int
    kind: ItemKindName
    item_id: int
    outcome: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MailReceived:
    """mail.received — an inbound e-mail was routed to a lead or deal (a new request or a reply)."""

    channel_id: int
    request_id: int
    kind: ItemKindName
    item_id: int
    outcome: str
    is_reply: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class CallReceived:
    """call.received — an incoming call (answered or missed) was routed to a lead or deal."""

    channel_id: int
    request_id: int
    kind: ItemKindName
    item_id: int
    outcome: str
    call_id: str
    status: str  # "answered" or "missed"
    activity_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ChatReceived:
    """chat.received — a chat message (Telegram, chat webhook) was routed to a lead or deal."""

    channel_id: int
    request_id: int
    conversation_id: int
    kind: ItemKindName
    item_id: int
    outcome: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RoutingFailed:
    """intake.routing_failed — a stored request could not be routed; `retry_after` seconds when it will be retried."""

    request_id: int
    channel_id: int
    attempts: int
    retry_after: int | None  # None: not retried automatically (bad data, or attempts used up)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChatReplyQueued:
    """chat.reply_queued — a manager's reply waits to be sent back through the chat's API."""

    message_id: int
    conversation_id: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MailboxPollScheduled:
    """intake.mailbox_poll_scheduled — an IMAP mailbox is due to be polled at `due` (ISO time)."""

    channel_id: int
    due: str
