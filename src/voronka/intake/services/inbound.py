"""What every channel's routing shares: the core request built from a stored one, and item look-ups."""

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from voronka.accounts.services import system_user
from voronka.crm.models import Deal, Lead, TimelineEntry
from voronka.crm.selectors.items import visible
from voronka.crm.services.inbound import InboundRequest
from voronka.intake.models import IntakeRequest
from voronka.intake.services.channels import pick_responsible


@dataclass(frozen=True)
class Skip:
    """A stored request that is not routed (an auto-reply, a bounce, an update without a message)."""

    status: str
    code: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def build_inbound(
    row: IntakeRequest,
    *,
    timeline_kind: str = TimelineEntry.Kind.REQUEST,
    thread_item: Lead | Deal | None = None,
    data: dict[str, Any] | None = None,
    **overrides: Any,
) -> InboundRequest:
    """Return the core's inbound request for a stored one, with the channel's source, pipeline and rule."""
    payload = {**row.payload, **overrides}
    channel = row.channel
    return InboundRequest(
        channel=channel.kind,
        source=channel.source or _default_source(channel.kind),
        first_name=str(payload.get("first_name") or "")[:100],
        last_name=str(payload.get("last_name") or "")[:100],
        second_name=str(payload.get("second_name") or "")[:100],
        company_title=str(payload.get("company_title") or "")[:255],
        phones=list(payload.get("phones") or []),
        emails=list(payload.get("emails") or []),
        messengers=list(payload.get("messengers") or []),
        title=str(payload.get("title") or "")[:255],
        message=str(payload.get("message") or ""),
        pipeline=channel.pipeline,
        utm=dict(payload.get("utm") or {}),
        custom=dict(payload.get("custom") or {}),
        data={
            **dict(payload.get("data") or {}),
            **(data or {}),
            "request_id": row.pk,
            "channel_id": channel.pk,
            "channel_name": channel.name,
            "attachments": attachment_list(row),
        },
        pick_responsible=partial(pick_responsible, channel),
        thread_item=thread_item,
        timeline_kind=timeline_kind,
    )


_SOURCES = {"form": "WEBFORM", "email": "EMAIL", "telephony": "CALL", "telegram": "CHAT", "chat": "CHAT"}


def _default_source(kind: str) -> str | None:
    from voronka.crm.models import Source

    code = _SOURCES.get(kind)
    return code if code and Source.objects.filter(code=code).exists() else None


def attachment_list(row: IntakeRequest) -> list[dict[str, Any]]:
    """Return the request's files as the timeline shows them."""
    return [
        {
            "id": attachment.pk,
            "name": attachment.name,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "url": f"/intake/attachments/{attachment.pk}/",
        }
        for attachment in row.attachments.all()
    ]


def current_item(kind: str, item_id: int | None) -> Lead | Deal | None:
    """Return the lead or deal a thread belongs to; a converted lead's thread continues on its deal."""
    if kind not in ("lead", "deal") or not item_id:
        return None
    actor = system_user()
    item = visible(actor, kind).filter(pk=item_id).first()
    if isinstance(item, Lead) and item.converted_at is not None:
        deal = visible(actor, "deal").filter(lead_id=item.pk).order_by("-pk").first()
        return deal or item
    return item
