"""One inbound request (a form, e-mail, call, chat, import row...) becomes a lead, or a client and a deal.

Rules enforced here (the seed's two scenarios):
- classic mode: a request from the phone or e-mail of an open lead is added to that lead's
  timeline; from a known contact or company it creates a repeat lead linked to the client;
  otherwise a new lead;
- simple mode: a request from a known client with an open deal is added to that deal; from a
  known client without one it creates a (repeat) deal for the client; otherwise a new contact
  (and a company when the request names one) plus a new deal in the channel's pipeline;
- a request needs a name, a phone, an e-mail or a messenger to route on;
- every request is written to the timeline of the item it reached, with its message and data.
Publishes RequestReceived after commit (the intake channels add their own events).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.crm import events
from voronka.crm.models import Company, Contact, CustomField, Deal, Lead, Pipeline, Source
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


@dataclass(frozen=True)
class InboundResult:
    """Where a request went."""

    outcome: str  # lead_created, added_to_lead, repeat_lead, deal_created, added_to_deal
    item: Lead | Deal
    contact: Contact | None = None
    company: Company | None = None

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
    timeline.record(
        result.item,
        kind=timeline.Kind.REQUEST,
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
    return result


def _lead_values(request: InboundRequest) -> dict[str, Any]:
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
        "assigned_to": request.assigned_to,
        "utm": request.utm,
        "custom": request.custom or None,
    }


def _route_classic(request: InboundRequest, matches, actor: User) -> InboundResult:
    open_lead = next((m for m in matches if m.kind == "lead" and not m.is_closed), None)
    if open_lead is not None:
        return InboundResult("added_to_lead", Lead.objects.get(pk=open_lead.item_id))
    contact, company = known_client(matches)
    values = _lead_values(request)
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
    else:
        if request.company_title:
            company = create_company(
                actor=actor,
                on_duplicate=DuplicatePolicy.SKIP,
                title=request.company_title,
                source=request.source,
                assigned_to=request.assigned_to,
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
                assigned_to=request.assigned_to,
                **_comm_arguments(request),
            )
    deal = create_deal(
        actor=actor,
        pipeline=pipeline,
        title=request.title,
        contact=contact,
        company=company,
        source=request.source,
        assigned_to=request.assigned_to or (contact or company).assigned_to,
        utm=request.utm,
        custom=_deal_custom(request.custom),
    )
    return InboundResult("deal_created", deal, contact, company)


def _comm_arguments(request: InboundRequest) -> dict[str, list[Any]]:
    return {"phones": request.phones, "emails": request.emails, "messengers": request.messengers}


def _deal_custom(custom: Mapping[str, Any]) -> dict[str, Any] | None:
    codes = set(CustomField.objects.filter(entity="deal").values_list("code", flat=True))
    return {code: value for code, value in custom.items() if code in codes} or None
