"""Chat messages: a Telegram Bot API update, or the generic chat webhook's JSON (docs/intake.md).

Both become the same payload: the conversation's id, who wrote, the text and any phone or
e-mail the person shared.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from voronka.lib.emails import try_normalize_email
from voronka.lib.errors import Invalid
from voronka.lib.phones import try_normalize_phone

MAX_TEXT = 10_000


def telegram_payload(update: Any) -> dict[str, Any] | None:
    """Return the payload of a Telegram update, or None for updates that carry no message."""
    if not isinstance(update, Mapping) or not isinstance(update.get("update_id"), int):
        raise Invalid("chat.bad_update", _("This is not a Telegram update."))
    message = update.get("message") or update.get("edited_message") or update.get("business_message")
    if not isinstance(message, Mapping):
        return None  # callback queries, channel posts, member changes: nothing to route
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    if not isinstance(chat, Mapping) or chat.get("id") is None:
        raise Invalid("chat.bad_update", _("The message has no chat."))
    contact = message.get("contact") if isinstance(message.get("contact"), Mapping) else {}
    text = str(message.get("text") or message.get("caption") or "")
    if not text and contact:
        text = str(_("Shared a phone number: %(phone)s")) % {"phone": contact.get("phone_number", "")}
    username = str(sender.get("username") or "")
    phone = try_normalize_phone(str(contact.get("phone_number") or ""))
    return _payload(
        chat_id=str(chat["id"]),
        message_id=str(message.get("message_id") or ""),
        first_name=str(sender.get("first_name") or contact.get("first_name") or ""),
        last_name=str(sender.get("last_name") or contact.get("last_name") or ""),
        text=text or str(_("(a message without text)")),
        phones=[phone] if phone else [],
        emails=[],
        messengers=[f"@{username}"] if username else [f"telegram:{chat['id']}"],
        extra={"network": "telegram", "username": username},
    )


def generic_payload(body: Any) -> dict[str, Any]:
    """Return the payload of a generic chat webhook message, or raise Invalid."""
    if not isinstance(body, Mapping):
        raise Invalid("chat.not_an_object", _("The body must be a JSON object."))
    errors: dict[str, str] = {}
    chat_id = str(body.get("conversation_id") or "").strip()
    if not chat_id or len(chat_id) > 200:
        errors["conversation_id"] = str(_("Required, at most 200 characters."))
    text = str(body.get("text") or "").strip()
    if not text:
        errors["text"] = str(_("Required."))
    phone = str(body.get("phone") or "").strip()
    address = str(body.get("email") or "").strip()
    if phone and try_normalize_phone(phone) is None:
        errors["phone"] = str(_("Not a phone number."))
    if address and try_normalize_email(address) is None:
        errors["email"] = str(_("Not an e-mail address."))
    if errors:
        raise Invalid("chat.invalid", _("The chat message is incomplete or wrong."), details=errors)
    name = str(body.get("name") or "").strip()
    first, _sep, last = name.partition(" ")
    return _payload(
        chat_id=chat_id,
        message_id=str(body.get("message_id") or "")[:200],
        first_name=first,
        last_name=last,
        text=text,
        phones=[phone] if phone else [],
        emails=[address] if address else [],
        messengers=[],
        extra={"network": str(body.get("network") or "chat")[:50]},
    )


def _payload(
    *,
    chat_id: str,
    message_id: str,
    first_name: str,
    last_name: str,
    text: str,
    phones: list[str],
    emails: list[str],
    messengers: list[str],
    extra: dict[str, str],
) -> dict[str, Any]:
    return {
        "first_name": first_name[:100],
        "last_name": last_name[:100],
        "phones": phones,
        "emails": emails,
        "messengers": [m[:255] for m in messengers],
        "message": text[:MAX_TEXT],
        "data": {"chat_id": chat_id, "chat_message_id": message_id, **extra},
    }
