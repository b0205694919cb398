"""One inbound request (a form, e-mail, call, chat, import row...) becomes a lead, or a client and a deal.

Rules enforced here (the seed's two scenarios):
- classic mode: a request from the phone or e-mail of an open lead is added to that lead's
  timeline; from a known contact or company it creates a repeat lead linked to the client;
  otherwise a new lead;
- simple mode: a request from a known client with an open deal is added to that deal; from a
  known client without one it creates a (repeat) deal for the client; otherwise a new contact
  (and a company when the request names one) plus a new deal in the channel's pipeline;
- a request known to answer an item (a reply to its e-mail thread, a message in its chat) goes
  to that item's timeline, whatever the mode, as long as the item still exists;
- the responsible of a new item is the one the request names, else the known client's (when
  present and not absent), else the channel's rule (`pick_responsible`), which is asked only
  when a new item is really created, so a round-robin queue does not advance for requests
  that join an existing item;
- a request needs a name, a phone, an e-mail or a messenger to route on;
- every request is written to the timeline of the item it reached (kind "request", or the
  channel's kind: "call", "chat", "message"), with its message and data.
Publishes RequestReceived after commit (the intake channels add their own events).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.crm import events
from voronka.crm.models import Company, Contact, CustomField, Deal, Lead, Pipeline, Source, TimelineEntry
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.services import comms, timeline
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.deals import create_deal
from voronka.crm.services.duplicates import DuplicatePolicy, known_client
from voronka.crm.services.leads import create_lead
from voronka.crm.services.modes import Mode, crm_settings
from voronka.lib import bus
from voronka.lib.errors import Invalid


@dataclass
class InboundRequest:
    """A request as a channel received it, before routing."""

    channel: str  # "form", "email", "call", "chat", "manual", "api", "import"...
    source: Source | str | None = None
    first_name: str = ""
    last_name: str = ""
    second_name: str = ""
    company_title: str = ""
    phones: list[Any] = field(default_factory=list)
    emails: list[Any] = field(default_factory=list)
    messengers: list[Any] = field(default_factory=list)
    title: str = ""
    message: str = ""
    assigned_to: User | None = None
    pipeline: Pipeline | None = None  # simple mode: the pipeline of the new deal
    utm: dict[str, str] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # channel details kept on the timeline
    # The channel's responsible rule, asked only when a new item is created without one.
    pick_responsible: Callable[[], User | None] | None = None
    # The item the request answers (an e-mail reply, a chat message): it goes there directly.
    thread_item: Lead | Deal | None = None
    timeline_kind: str = TimelineEntry.Kind.REQUEST


@dataclass(frozen=True)
class InboundResult:
    """Where a request went."""

    outcome: str  # lead_created, added_to_lead, repeat_lead, deal_created, added_to_deal, thread_reply
    item: Lead | Deal
    contact: Contact | None = None
    company: Company | None = None
    entry: TimelineEntry | None = None  # the timeline entry the request wrote

    @property
    def created(self) -> bool:
        return self.outcome in ("lead_created", "repeat_lead", "deal_created")


@transaction.atomic
def receive_request(request: InboundRequest, *, actor: User) -> InboundResult:
    """Route one inbound request by the working mode; return the item it reached."""
    parsed = comms.parse(
        {"phones": request.phones, "emails": request.emails, "messengers": request.messengers}
    )
    all_comms = comms.flatten(parsed)
    thread_item = _existing(request.thread_item)
    if thread_item is not None:
        result = InboundResult("thread_reply", thread_item)
    else:
        if not (all_comms or request.first_name or request.last_name or request.company_title):
            raise Invalid("request.no_contact_data", _("A request needs a name, a phone or an e-mail."))
        phones = [c.normalized for c in all_comms if c.kind == comms.Kind.PHONE]
        emails = [c.normalized for c in all_comms if c.kind == comms.Kind.EMAIL]
        matches = find_duplicates(phones=phones, emails=emails, kinds=("lead", "contact", "company"))
        settings_row = crm_settings()
        if settings_row.mode == Mode.SIMPLE:
            result = _route_simple(request, matches, actor, settings_row.simple_mode_pipeline)
        else:
            result = _route_classic(request, matches, actor)
    entry = timeline.record(
        result.item,
        kind=request.timeline_kind,
        actor=actor,
        text=request.message[:10_000],
        data={
            "channel": request.channel,
            "outcome": result.outcome,
            "utm": request.utm,
            **request.data,
            "from": [c.value for c in all_comms],
        },
    )
    bus.publish(
        events.RequestReceived(
            kind=result.item.kind.value,
            item_id=result.item.pk,
            outcome=result.outcome,
            channel=request.channel,
            actor_id=actor.pk,
        )
    )
    return InboundResult(result.outcome, result.item, result.contact, result.company, entry)


def _existing(item: Lead | Deal | None) -> Lead | Deal | None:
    if item is None or item.pk is None:
        return None
    return type(item).objects.filter(pk=item.pk).first()


def _responsible(
    request: InboundRequest, actor: User, kind: str, client: Contact | Company | None = None
) -> User | None:
    """Return who gets a new item: the one named, the client's responsible, or the channel's rule."""
    if request.assigned_to is not None:
        return request.assigned_to
    owner = client.assigned_to if client is not None and client.assigned_to_id else None
    # A manager routing a request by hand keeps it when the client's responsible is out of their scope.
    if owner is not None and not can(actor, Action.CREATE, kind, owner_id=owner.pk):
        owner = None
    if owner is not None and owner.is_active and not owner.is_absent:
        return owner
    picked = request.pick_responsible() if request.pick_responsible else None
    return picked or owner


def _lead_values(
    request: InboundRequest, actor: User, client: Contact | Company | None = None
) -> dict[str, Any]:
    return {
        "title": request.title,
        "first_name": request.first_name,
        "last_name": request.last_name,
        "second_name": request.second_name,
        "company_title": request.company_title,
        "phones": request.phones,
        "emails": request.emails,
        "messengers": request.messengers,
        "source": request.source,
        "assigned_to": _responsible(request, actor, "lead", client),
        "utm": request.utm,
        "custom": request.custom or None,
    }


def _route_classic(request: InboundRequest, matches, actor: User) -> InboundResult:
    open_lead = next((m for m in matches if m.kind == "lead" and not m.is_closed), None)
    if open_lead is not None:
        return InboundResult("added_to_lead", Lead.objects.get(pk=open_lead.item_id))
    contact, company = known_client(matches)
    values = _lead_values(request, actor, contact or company)
    if contact or company:
        lead = create_lead(
            actor=actor,
            on_duplicate=DuplicatePolicy.CREATE,
            contact=contact,
            company=company,
            convert_in_simple_mode=False,
            **values,
        )
        return InboundResult("repeat_lead", lead, contact, company)
    lead = create_lead(
        actor=actor, on_duplicate=DuplicatePolicy.CREATE, convert_in_simple_mode=False, **values
    )
    return InboundResult("lead_created", lead)


def _route_simple(request: InboundRequest, matches, actor: User, pipeline: Pipeline | None) -> InboundResult:
    contact, company = known_client(matches)
    pipeline = request.pipeline or pipeline
    if contact or company:
        client_filter = {"contact": contact} if contact else {"company": company}
        open_deal = Deal.objects.filter(is_closed=False, **client_filter).order_by("-pk").first()
        if open_deal is not None:
            return InboundResult("added_to_deal", open_deal, contact, company)
        responsible = _responsible(request, actor, "deal", contact or company)
    else:
        responsible = _responsible(request, actor, "deal")
        if request.company_title:
            company = create_company(
                actor=actor,
                on_duplicate=DuplicatePolicy.SKIP,
                title=request.company_title,
                source=request.source,
                assigned_to=responsible,
                **({} if request.first_name or request.last_name else _comm_arguments(request)),
            )
        if request.first_name or request.last_name or not company:
            contact = create_contact(
                actor=actor,
                on_duplicate=DuplicatePolicy.CREATE,
                first_name=request.first_name,
                last_name=request.last_name,
                second_name=request.second_name,
                company=company,
                source=request.source,
                assigned_to=responsible,
                **_comm_arguments(request),
            )
    deal = create_deal(
        actor=actor,
        pipeline=pipeline,
        title=request.title,
        contact=contact,
        company=company,
        source=request.source,
        assigned_to=responsible,
        utm=request.utm,
        custom=_deal_custom(request.custom),
    )
    return InboundResult("deal_created", deal, contact, company)


def _comm_arguments(request: InboundRequest) -> dict[str, list[Any]]:
    return {"phones": request.phones, "emails": request.emails, "messengers": request.messengers}


def _deal_custom(custom: Mapping[str, Any]) -> dict[str, Any] | None:
    codes = set(CustomField.objects.filter(entity="deal").values_list("code", flat=True))
    return {code: value for code, value in custom.items() if code in codes} or None
