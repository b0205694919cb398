"""Reads of the intake app: channels, forms, the request log, conversations, "who is calling"."""

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.services import system_user
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.selectors.items import visible
from voronka.intake.models import Channel, Conversation, IntakeRequest, WebForm
from voronka.lib.emails import try_normalize_email
from voronka.lib.errors import Forbidden, Invalid, NotFound
from voronka.lib.phones import try_normalize_phone

PAGE = 50


def channels() -> QuerySet[Channel]:
    """Return every channel with what its list shows."""
    return Channel.objects.select_related("source", "pipeline", "responsible").order_by("kind", "name", "pk")


def get_channel(channel_id: int) -> Channel:
    """Return a channel by id, or raise NotFound."""
    try:
        return channels().get(pk=int(channel_id))
    except (Channel.DoesNotExist, TypeError, ValueError):
        raise NotFound("channel.not_found", _("Channel not found.")) from None


def channel_by_token(kinds: tuple[str, ...], token: str | None) -> Channel:
    """Return the active channel of one of `kinds` whose secret token is `token`, or raise Forbidden."""
    token = (token or "").strip()
    channel = Channel.objects.filter(kind__in=kinds, token=token, is_active=True).first() if token else None
    # The equality look-up finds the row; the constant-time compare keeps the final check honest.
    if channel is None or not secrets.compare_digest(channel.token.encode(), token.encode()):
        raise Forbidden("intake.bad_token", _("Wrong or missing token."))
    return channel


def form_by_key(key: str) -> WebForm:
    """Return the web form with a public key, or raise NotFound."""
    form = WebForm.objects.select_related("channel").filter(key=str(key)[:32]).first()
    if form is None or not form.channel.is_active:
        raise NotFound("form.not_found", _("This form does not exist or is switched off."))
    return form


def channel_for_addresses(addresses: list[str]) -> Channel | None:
    """Return the active e-mail channel that receives mail for one of `addresses`."""
    wanted = {address for address in (try_normalize_email(a) for a in addresses) if address}
    if not wanted:
        return None
    for channel in Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True).order_by("pk"):
        known = {try_normalize_email(str(a)) for a in channel.config.get("addresses") or []}
        if wanted & known or "*" in (channel.config.get("addresses") or []):
            return channel
    return None


def request_log(*, channel: Channel | None = None, status: str | None = None, before: int | None = None):
    """Return a page of received requests, newest first (keyset on id), with one extra to tell if more."""
    queryset = IntakeRequest.objects.select_related("channel").defer("raw")
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    if status:
        queryset = queryset.filter(status=status)
    if before:
        queryset = queryset.filter(pk__lt=before)
    return list(queryset.order_by("-pk")[: PAGE + 1])


def get_request(request_id: int) -> IntakeRequest:
    """Return one received request, or raise NotFound."""
    try:
        return IntakeRequest.objects.select_related("channel").get(pk=int(request_id))
    except (IntakeRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound("request.not_found", _("Request not found.")) from None


def conversations_of(item) -> QuerySet[Conversation]:
    """Return the conversations whose thread is on `item`."""
    return Conversation.objects.filter(item_kind=item.kind.value, item_id=item.pk).select_related("channel")


def get_conversation(conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.select_related("channel").get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, TypeError, ValueError):
        raise NotFound("conversation.not_found", _("Conversation not found.")) from None


@dataclass
class Caller:
    """Who is calling: the client (or lead) with the number, its responsible and open items."""

    phone: str
    client: dict[str, Any] | None = None
    responsible: dict[str, Any] | None = None
    open_items: list[dict[str, Any]] = field(default_factory=list)


def who_is_calling(phone: str) -> Caller:
    """Return who has this phone number (one index look-up) and their open leads and deals."""
    e164 = try_normalize_phone(phone or "")
    if e164 is None:
        raise Invalid("phone.invalid", _("“%(value)s” is not a phone number.") % {"value": phone})
    matches = find_duplicates(phones=[e164], kinds=("contact", "company", "lead"), limit=10)
    caller = Caller(phone=e164)
    if not matches:
        return caller
    order = {"contact": 0, "company": 1, "lead": 2}
    best = sorted(matches, key=lambda m: (order[m.kind], m.is_closed, -m.item_id))[0]
    caller.client = {"kind": best.kind, "id": best.item_id, "title": best.title}
    actor = system_user()
    open_items = [
        {"kind": "lead", "id": m.item_id, "title": m.title}
        for m in matches
        if m.kind == "lead" and not m.is_closed
    ]
    contacts = [m.item_id for m in matches if m.kind == "contact"]
    companies = [m.item_id for m in matches if m.kind == "company"]
    if contacts or companies:
        deals = (
            visible(actor, "deal")
            .filter(is_closed=False)
            .filter(Q(contact_id__in=contacts) | Q(company_id__in=companies))
            .order_by("-pk")[:10]
        )
        open_items += [
            {"kind": "deal", "id": deal.pk, "title": deal.title, "stage": deal.stage.title} for deal in deals
        ]
    caller.open_items = open_items
    owner_id = best.assigned_to_id
    if owner_id:
        owner = (
            visible(actor, best.kind).filter(pk=best.item_id).values_list("assigned_to__username", flat=True)
        )
        caller.responsible = {"id": owner_id, "username": owner.first()}
    return caller


def require_admin(user) -> None:
    """Raise Forbidden unless `user` may configure channels (the pages check it)."""
    from voronka.accounts.rights import is_administrator

    if not is_administrator(user):
        raise Forbidden("rights.admin_only", _("Only administrators configure intake channels."))


def unrouted_counts() -> dict[int, int]:
    """Return {channel id: requests waiting or failed} (the status index; routed rows are not counted)."""
    from django.db.models import Count

    rows = (
        IntakeRequest.objects.filter(status__in=[IntakeRequest.Status.RECEIVED, IntakeRequest.Status.FAILED])
        .values("channel_id")
        .annotate(count=Count("id"))
    )
    return {row["channel_id"]: row["count"] for row in rows}


def get_attachment(attachment_id: int, *, user):
    """Return an attachment an administrator, or someone who sees its item, may download."""
    from voronka.accounts.rights import is_administrator
    from voronka.intake.models import Attachment

    attachment = Attachment.objects.select_related("request").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("attachment.not_found", _("File not found."))
    row = attachment.request
    if is_administrator(user):
        return attachment
    if row.item_kind in ("lead", "deal") and visible(user, row.item_kind).filter(pk=row.item_id).exists():
        return attachment
    raise NotFound("attachment.not_found", _("File not found."))


def messages_of(conversation: Conversation):
    """Return the messages of a conversation, oldest first."""
    return conversation.messages.select_related("author").order_by("created_at", "pk")
