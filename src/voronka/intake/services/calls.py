"""Telephony: store a call event, route incoming calls, and log what the call means for the manager.

Rules enforced here:
- a call is identified by its `call_id` on the channel: a repeated event is a no-op that answers
  with the stored request (telephony platforms retry their webhooks);
- an incoming call routes like any request (the caller's number is the contact data);
- an answered call becomes a completed call activity with its duration and recording link, held
  by the operator who answered (the channel's extension → user map) or the item's responsible;
- a missed call becomes a planned "call back" call activity for the item's responsible, due in
  `callback_minutes` (channel setting, 15 by default), with high priority;
- outgoing call events are stored but not routed (they are the manager's own activity).
"""

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.services import system_user
from voronka.activities.models import Activity
from voronka.activities.services.activities import create_activity
from voronka.crm.models import TimelineEntry
from voronka.crm.services.inbound import InboundResult
from voronka.intake import events
from voronka.intake.channels import telephony
from voronka.intake.models import Channel, IntakeRequest
from voronka.intake.services.channels import pick_responsible
from voronka.intake.services.inbound import Skip, build_inbound
from voronka.intake.services.requests import store_request
from voronka.lib.phones import format_phone

Status = IntakeRequest.Status


def accept_call(
    channel: Channel, body: Any, *, remote_addr: str | None, headers: dict[str, str], raw: bytes = b""
) -> tuple[IntakeRequest, bool]:
    """Check and store one call event; return it and whether it is new."""
    payload = telephony.build_payload(body)
    return store_request(
        channel,
        payload=payload,
        raw=raw,
        headers=headers,
        remote_addr=remote_addr,
        external_id=f"call:{payload['data']['call_id']}",
    )


def prepare(row: IntakeRequest):
    """Return the core request of an incoming call (outgoing ones are not routed)."""
    call = row.payload["data"]
    if call["direction"] != "incoming":
        return Skip(Status.IGNORED, "call.outgoing", "An outgoing call; logged by the caller's activity.")
    phone = row.payload["phones"][0]
    if call["status"] == "missed":
        title = gettext("Missed call from %(phone)s") % {"phone": format_phone(phone)}
    else:
        title = gettext("Call from %(phone)s") % {"phone": format_phone(phone)}
    return build_inbound(row, timeline_kind=TimelineEntry.Kind.CALL, title=title, message=title)


def finish(row: IntakeRequest, result: InboundResult) -> events.CallReceived:
    """Log the call as an activity on the item; return call.received."""
    call = row.payload["data"]
    activity = _log_activity(row.channel, call, item=result.item, phone=row.payload["phones"][0])
    return events.CallReceived(
        channel_id=row.channel_id,
        request_id=row.pk,
        kind=result.item.kind.value,
        item_id=result.item.pk,
        outcome=result.outcome,
        call_id=call["call_id"],
        status=call["status"],
        activity_id=activity.pk if activity else None,
    )


def _log_activity(channel: Channel, call: dict[str, Any], *, item, phone: str) -> Activity | None:
    responsible = _operator(channel, call.get("operator", "")) if call["status"] == "answered" else None
    responsible = responsible or _usable(item.assigned_to) or pick_responsible(channel)
    if responsible is None:
        return None
    actor = system_user()
    number = format_phone(phone)
    if call["status"] == "answered":
        started = parse_datetime(call["started_at"]) if call.get("started_at") else None
        return create_activity(
            item,
            kind=Activity.Kind.CALL,
            actor=actor,
            assigned_to=responsible,
            direction=Activity.Direction.INCOMING,
            subject=gettext("Incoming call from %(phone)s") % {"phone": number},
            deadline=started or timezone.now(),
            duration=dt.timedelta(seconds=int(call.get("duration") or 0)),
            is_done=True,
            result=str(_("Answered")),
            data={
                "call_id": call["call_id"],
                "duration": int(call.get("duration") or 0),
                "recording_url": call.get("recording_url", ""),
                "phone": phone,
            },
        )
    minutes = int(channel.config.get("callback_minutes") or 15)
    return create_activity(
        item,
        kind=Activity.Kind.CALL,
        actor=actor,
        assigned_to=responsible,
        direction=Activity.Direction.OUTGOING,
        subject=gettext("Call back %(phone)s (missed call)") % {"phone": number},
        deadline=timezone.now() + dt.timedelta(minutes=minutes),
        priority=Activity.Priority.HIGH,
        data={"call_id": call["call_id"], "phone": phone, "missed": True},
    )


def _operator(channel: Channel, extension: str) -> User | None:
    user_id = (channel.config.get("operators") or {}).get(str(extension)) if extension else None
    if not user_id:
        return None
    return _usable(User.objects.filter(pk=user_id).first())


def _usable(user: User | None) -> User | None:
    return user if user is not None and user.is_active and not user.is_system else None
