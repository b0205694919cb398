"""Chats (a Telegram bot, the generic chat webhook): conversations on the item's timeline, and replies.

Rules enforced here:
- a message is identified by its update id (Telegram) or message id (generic) on the channel:
  a re-delivered webhook is a no-op;
- one conversation per chat and channel; its first message routes like any request, the next
  ones go to the same item's timeline (kind "chat"), following a converted lead to its deal;
- a reply is written on the item by someone who may see it; it is queued (ChatReplyQueued) and
  sent by a task that claims it with a conditional UPDATE, so it is sent at most once;
- the Telegram Bot API base URL is the TELEGRAM_API_URL setting; the bot token is the channel's.
"""

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.crm.models import TimelineEntry
from voronka.crm.services import timeline
from voronka.crm.services.inbound import InboundResult
from voronka.intake import events
from voronka.intake.channels import chats as chat_channel
from voronka.intake.models import Channel, ChatMessage, Conversation, IntakeRequest
from voronka.intake.services.inbound import Skip, build_inbound, current_item
from voronka.intake.services.requests import store_request
from voronka.lib import bus
from voronka.lib.errors import Invalid, NotFound, Refused

Status = IntakeRequest.Status
MAX_REPLY = 4096  # Telegram's limit for one message
SEND_TIMEOUT = 15


def accept_telegram(
    channel: Channel, update: Any, *, remote_addr: str | None, headers: dict[str, str], raw: bytes = b""
) -> tuple[IntakeRequest, bool]:
    """Store one Telegram update; updates without a message are stored as ignored."""
    payload = chat_channel.telegram_payload(update)
    external_id = f"tg:{update['update_id']}"
    if payload is None:
        return store_request(
            channel,
            payload={"update": update},
            raw=raw,
            headers=headers,
            remote_addr=remote_addr,
            external_id=external_id,
            status=Status.IGNORED,
            error_code="chat.no_message",
            error="The update carries no message.",
        )
    return store_request(
        channel, payload=payload, raw=raw, headers=headers, remote_addr=remote_addr, external_id=external_id
    )


def accept_chat(
    channel: Channel, body: Any, *, remote_addr: str | None, headers: dict[str, str], raw: bytes = b""
) -> tuple[IntakeRequest, bool]:
    """Store one message of the generic chat webhook."""
    payload = chat_channel.generic_payload(body)
    message_id = payload["data"]["chat_message_id"]
    external_id = f"chat:{payload['data']['chat_id']}:{message_id}" if message_id else ""
    return store_request(
        channel, payload=payload, raw=raw, headers=headers, remote_addr=remote_addr, external_id=external_id
    )


def prepare(row: IntakeRequest):
    """Return the core request of a chat message, threaded to the conversation's item."""
    data = row.payload.get("data") or {}
    if not data.get("chat_id"):
        return Skip(Status.IGNORED, "chat.no_message", "No chat message to route.")
    conversation, _created = Conversation.objects.get_or_create(
        channel=row.channel,
        external_id=str(data["chat_id"])[:255],
        defaults={"title": _who(row.payload)},
    )
    return build_inbound(
        row,
        timeline_kind=TimelineEntry.Kind.CHAT,
        thread_item=current_item(conversation.item_kind, conversation.item_id),
        data={"direction": "in", "conversation_id": conversation.pk},
    )


def _who(payload: dict[str, Any]) -> str:
    name = " ".join(p for p in (payload.get("first_name"), payload.get("last_name")) if p)
    username = (payload.get("data") or {}).get("username")
    return (name or (f"@{username}" if username else "") or str(payload["data"]["chat_id"]))[:255]


def finish(row: IntakeRequest, result: InboundResult) -> events.ChatReceived:
    """Link the conversation to the item and keep the message in its thread; return chat.received."""
    data = row.payload["data"]
    conversation = Conversation.objects.get(channel=row.channel, external_id=str(data["chat_id"])[:255])
    conversation.item_kind, conversation.item_id = result.item.kind.value, result.item.pk
    conversation.last_message_at = timezone.now()
    conversation.save(update_fields=["item_kind", "item_id", "last_message_at"])
    ChatMessage.objects.create(
        conversation=conversation,
        direction=ChatMessage.Direction.IN,
        text=row.payload.get("message", ""),
        status=ChatMessage.Status.RECEIVED,
        external_id=str(data.get("chat_message_id") or "")[:255],
    )
    return events.ChatReceived(
        channel_id=row.channel_id,
        request_id=row.pk,
        conversation_id=conversation.pk,
        kind=result.item.kind.value,
        item_id=result.item.pk,
        outcome=result.outcome,
    )


@transaction.atomic
def reply(conversation: Conversation, *, text: str, actor: User) -> ChatMessage:
    """Queue a reply typed on the item; it is written to the item's timeline and sent by a task."""
    item = current_item(conversation.item_kind, conversation.item_id)
    if item is None or not can(actor, Action.READ, item.kind.value, owner_id=item.assigned_to_id):
        raise NotFound("conversation.not_found", _("Conversation not found."))
    text = (text or "").strip()
    if not text:
        raise Invalid("chat.reply_empty", _("Write something first."), details={"text": _("Required.")})
    if len(text) > MAX_REPLY:
        raise Invalid("chat.reply_too_long", _("At most %(limit)d characters.") % {"limit": MAX_REPLY})
    if not conversation.channel.is_active:
        raise Refused("chat.channel_off", _("The chat channel is switched off."))
    message = ChatMessage.objects.create(
        conversation=conversation,
        direction=ChatMessage.Direction.OUT,
        text=text,
        status=ChatMessage.Status.QUEUED,
        author=actor,
    )
    timeline.record(
        item,
        kind=TimelineEntry.Kind.CHAT,
        actor=actor,
        text=text,
        data={"direction": "out", "conversation_id": conversation.pk, "chat_message_id": message.pk},
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    bus.publish(events.ChatReplyQueued(message_id=message.pk, conversation_id=conversation.pk))
    return message


def send_reply(message_id: int) -> ChatMessage | None:
    """Send a queued reply through the chat's API; at most once (claimed before sending)."""
    claimed = ChatMessage.objects.filter(
        pk=message_id, status__in=[ChatMessage.Status.QUEUED], direction=ChatMessage.Direction.OUT
    ).update(status=ChatMessage.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = ChatMessage.objects.select_related("conversation__channel").get(pk=message_id)
    try:
        external_id = _deliver(message)
    except DeliveryError as error:
        ChatMessage.objects.filter(pk=message.pk).update(
            status=ChatMessage.Status.FAILED, error=str(error)[:2000]
        )
    else:
        ChatMessage.objects.filter(pk=message.pk).update(
            status=ChatMessage.Status.SENT, sent_at=timezone.now(), external_id=external_id[:255], error=""
        )
    message.refresh_from_db()
    return message


class DeliveryError(Exception):
    """The chat platform did not accept the message."""


def _deliver(message: ChatMessage) -> str:
    channel = message.conversation.channel
    if channel.kind == Channel.Kind.TELEGRAM:
        token = str(channel.config.get("bot_token") or "")
        if not token:
            raise DeliveryError("The channel has no bot token.")
        url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/sendMessage"
        body = {"chat_id": message.conversation.external_id, "text": message.text}
    else:
        url = str(channel.config.get("reply_url") or "")
        if not url.startswith(("http://", "https://")):
            raise DeliveryError("The channel has no reply URL.")
        body = {
            "conversation_id": message.conversation.external_id,
            "text": message.text,
            "message_id": str(message.pk),
            "token": channel.token,
        }
    answer = _post_json(url, body)
    if channel.kind == Channel.Kind.TELEGRAM:
        if not answer.get("ok"):
            raise DeliveryError(str(answer.get("description") or "Telegram refused the message."))
        return str((answer.get("result") or {}).get("message_id") or "")
    return str(answer.get("message_id") or "")


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above or fixed by settings
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310
            text = response.read(1_000_000)
    except urllib.error.HTTPError as error:
        try:
            described = json.loads(error.read(100_000) or b"{}").get("description")
        except (ValueError, AttributeError):
            described = None
        raise DeliveryError(described or f"HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryError(str(error)) from error
    try:
        answer = json.loads(text or b"{}")
    except ValueError as error:
        raise DeliveryError("The chat API answered with something that is not JSON.") from error
    return answer if isinstance(answer, dict) else {}
