"""Telephony webhook events: check the documented JSON (docs/intake.md) and make a request payload.

{"call_id": "abc-1", "direction": "incoming", "from": "+74951234567", "to": "+74950000000",
 "status": "answered" | "missed", "started_at": "2026-01-20T10:15:00+03:00", "duration": 125,
 "recording_url": "https://pbx.example.com/rec/abc-1.mp3", "operator": "101"}
"""

from collections.abc import Mapping
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid
from voronka.lib.phones import try_normalize_phone

STATUSES = ("answered", "missed")
DIRECTIONS = ("incoming", "outgoing")
MAX_DURATION = 7 * 24 * 3600


def build_payload(event: Any) -> dict[str, Any]:
    """Return the request payload of a call event, or raise Invalid naming every bad field."""
    if not isinstance(event, Mapping):
        raise Invalid("call.not_an_object", _("The body must be a JSON object."))
    errors: dict[str, str] = {}
    call_id = str(event.get("call_id") or "").strip()
    if not call_id or len(call_id) > 200:
        errors["call_id"] = str(_("Required, at most 200 characters."))
    direction = str(event.get("direction") or "incoming").strip().lower()
    if direction not in DIRECTIONS:
        errors["direction"] = str(_("incoming or outgoing."))
    status = str(event.get("status") or "").strip().lower()
    if status not in STATUSES:
        errors["status"] = str(_("answered or missed."))
    client_number = str(event.get("from" if direction == "incoming" else "to") or "").strip()
    phone = try_normalize_phone(client_number)
    if phone is None:
        errors["from" if direction == "incoming" else "to"] = str(_("Not a phone number."))
    started_raw = event.get("started_at")
    started = parse_datetime(str(started_raw)) if started_raw else None
    if started_raw and started is None:
        errors["started_at"] = str(_("Not an ISO 8601 date and time."))
    try:
        duration = int(event.get("duration") or 0)
        if not 0 <= duration <= MAX_DURATION:
            raise ValueError(duration)
    except (TypeError, ValueError):
        errors["duration"] = str(_("Whole seconds, 0 to 7 days."))
        duration = 0
    recording = str(event.get("recording_url") or "").strip()
    if (recording and not recording.startswith(("http://", "https://"))) or len(recording) > 1000:
        errors["recording_url"] = str(_("An http(s) address."))
    if errors:
        raise Invalid("call.invalid", _("The call event is incomplete or wrong."), details=errors)
    return {
        "phones": [phone],
        "message": "",
        "data": {
            "call_id": call_id,
            "direction": direction,
            "status": status,
            "from": str(event.get("from") or "")[:50],
            "to": str(event.get("to") or "")[:50],
            "started_at": started.isoformat() if started else "",
            "duration": duration,
            "recording_url": recording,
            "operator": str(event.get("operator") or event.get("extension") or "")[:50],
        },
    }
