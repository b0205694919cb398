"""Storing every received request before anything else happens to it.

Rules enforced here:
- a request is written as received (channel, payload, raw body, a subset of headers, sender IP)
  in its own transaction before routing starts, so a routing failure never loses it;
- a repeat delivery of the same external id (call id, Message-ID, Telegram update id) on the
  same channel is recognised by a unique constraint and returns the stored request;
- spam (a filled honeypot) and ignored mail (auto-replies, bounces) are stored with their status
  and reason and are never routed.
"""

from typing import Any

from django.db import transaction

from voronka.intake.models import Channel, IntakeRequest

Status = IntakeRequest.Status
HEADER_NAMES = (
    "Content-Type",
    "User-Agent",
    "Origin",
    "Referer",
    "X-Forwarded-For",
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
)
MAX_RAW = 30 * 1024 * 1024


def header_subset(headers: Any) -> dict[str, str]:
    """Return the headers worth keeping (for the log and for diagnosing a failure)."""
    kept: dict[str, str] = {}
    for name in HEADER_NAMES:
        value = headers.get(name) if headers is not None else None
        if value is not None:
            kept[name] = str(value)[:500]
    return kept


@transaction.atomic
def store_request(
    channel: Channel,
    *,
    payload: dict[str, Any],
    raw: bytes = b"",
    headers: dict[str, str] | None = None,
    remote_addr: str | None = None,
    external_id: str = "",
    status: str = Status.RECEIVED,
    error_code: str = "",
    error: str = "",
) -> tuple[IntakeRequest, bool]:
    """Store a request as received; return it and whether it is new (False for a repeat delivery)."""
    values = {
        "payload": payload,
        "raw": bytes(raw[:MAX_RAW]),
        "headers": headers or {},
        "remote_addr": remote_addr or None,
        "status": status,
        "error_code": error_code,
        "error": error[:5000],
    }
    external_id = (external_id or "")[:255]
    if external_id:
        # get_or_create retries the read when a concurrent delivery wins the unique constraint.
        return IntakeRequest.objects.get_or_create(channel=channel, external_id=external_id, defaults=values)
    return IntakeRequest.objects.create(channel=channel, **values), True
