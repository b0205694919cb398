"""Converting a qualified lead into a deal and/or its client (contact, company).

Rules enforced here (ARCHITECTURE.md, "Conversion"):
- a lead is converted once: a second conversion is refused, and so is a closed (junk) lead;
- the actor needs the update right on the lead (and the create rights the targets ask for);
- targets: a deal (in the chosen pipeline) plus a contact and/or company, new or existing;
  by default a contact when the lead names a person or has phones/e-mails, a company when it
  has a company name; a repeat lead keeps its known client and converts into a deal;
- the targets link back to the lead and to each other; phones and e-mails go to the new
  contact (to the new company when there is no contact); product rows, custom fields with the
  same code, and the lead's timeline are carried over to the deal;
- the lead ends in the converted (won) status, with a history row, linked to its client.
Publishes LeadConverted after commit (activities move with it in the activities app).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import events, locks
from voronka.crm.errors import AlreadyConverted
from voronka.crm.models import Company, Contact, CustomField, Deal, Lead, Pipeline, ProductRow, TimelineEntry
from voronka.crm.selectors.pipelines import lead_pipeline, won_stage
from voronka.crm.services import comms, history, items, timeline
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.deals import create_deal
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib import bus
from voronka.lib.errors import Invalid, Refused


@dataclass(frozen=True)
class Conversion:
    """What a lead became."""

    lead: Lead
    deal: Deal | None
    contact: Contact | None
    company: Company | None


@transaction.atomic
def convert_lead(
    lead: Lead,
    *,
    actor: User,
    with_deal: bool = True,
    pipeline: Pipeline | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    with_contact: bool | None = None,
    with_company: bool | None = None,
    deal_fields: Mapping[str, Any] | None = None,
    contact_fields: Mapping[str, Any] | None = None,
    company_fields: Mapping[str, Any] | None = None,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.CREATE,
) -> Conversion:
    """Convert a lead into a deal plus a contact and/or company; return what was made."""
    lead = locks.lock(lead)
    _check(lead, actor)
    contact = contact or lead.contact
    company = company or lead.company or (contact.company if contact else None)
    parsed = {"communications": comms.of(lead)}
    has_person = bool(lead.first_name or lead.last_name or lead.second_name)
    if with_contact is None:
        with_contact = contact is None and (has_person or bool(parsed["communications"]))
    if with_company is None:
        with_company = company is None and bool(lead.company_title)
    if not (with_deal or with_contact or with_company or contact or company):
        raise Invalid(
            "conversion.no_target", _("Choose what the lead becomes: a deal, a contact or a company.")
        )

    if with_company:
        company = _new_company(lead, actor, company_fields, on_duplicate, with_comms=not with_contact)
    if with_contact:
        contact = _new_contact(lead, actor, contact_fields, company, on_duplicate)
    deal = _new_deal(lead, actor, pipeline, contact, company, deal_fields) if with_deal else None

    converted = won_stage(lead_pipeline())
    source = lead.status
    now = timezone.now()
    lead.status, lead.is_closed, lead.closed_at, lead.converted_at = converted, True, now, now
    lead.stage_changed_at = lead.updated_at = now
    lead.contact, lead.company = contact, company
    lead.save(
        update_fields=[
            "status",
            "is_closed",
            "closed_at",
            "converted_at",
            "stage_changed_at",
            "updated_at",
            "contact",
            "company",
        ]
    )
    history.enter(lead, to=converted, source=source, actor=actor, reason="conversion")
    targets = {
        "deal_id": deal.pk if deal else None,
        "contact_id": contact.pk if contact else None,
        "company_id": company.pk if company else None,
    }
    timeline.record(lead, kind=timeline.Kind.CONVERTED, actor=actor, data=targets)
    for target in (deal, contact, company):
        if target is not None:
            timeline.record(
                target,
                kind=timeline.Kind.CREATED_FROM_LEAD,
                actor=actor,
                data={"lead_id": lead.pk, "lead_title": lead.title},
            )
    _carry_timeline(lead, deal or contact or company)
    bus.publish(events.LeadConverted(lead_id=lead.pk, actor_id=actor.pk, **targets))
    return Conversion(lead=lead, deal=deal, contact=contact, company=company)


def _check(lead: Lead, actor: User) -> None:
    if lead.converted_at is not None or lead.status.is_won:
        raise AlreadyConverted("conversion.already_converted", _("This lead has been converted already."))
    if lead.is_closed:
        raise Refused("conversion.lead_closed", _("The lead is closed. Re-open it before converting."))
    items.require(actor, Action.UPDATE, "lead", owner_id=lead.assigned_to_id)


def _common(lead: Lead) -> dict[str, Any]:
    return {
        "assigned_to": lead.assigned_to,
        "source": lead.source,
        "source_description": lead.source_description,
        "comments": lead.comments,
    }


def _synced_custom(lead: Lead, entity: str) -> dict[str, Any]:
    codes = set(CustomField.objects.filter(entity=entity).values_list("code", flat=True))
    return {code: value for code, value in lead.custom.items() if code in codes}


def _new_company(lead, actor, overrides, on_duplicate, *, with_comms: bool) -> Company:
    values = {
        **_common(lead),
        "title": lead.company_title or lead.title,
        "address": lead.address,
        "custom": _synced_custom(lead, "company"),
        **(overrides or {}),
    }
    communications = _comms_arguments(lead) if with_comms else {}
    return create_company(actor=actor, lead=lead, on_duplicate=on_duplicate, **communications, **values)


def _new_contact(lead, actor, overrides, company, on_duplicate) -> Contact:
    values = {
        **_common(lead),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "second_name": lead.second_name,
        "position": lead.position,
        "address": lead.address,
        "company": company,
        "custom": _synced_custom(lead, "contact"),
        **(overrides or {}),
    }
    return create_contact(
        actor=actor, lead=lead, on_duplicate=on_duplicate, **_comms_arguments(lead), **values
    )


def _comms_arguments(lead: Lead) -> dict[str, list[comms.Comm]]:
    by_argument: dict[str, list[comms.Comm]] = {}
    for comm in comms.of(lead):
        name = next(arg for arg, kind in comms.KIND_ARGUMENTS.items() if kind == comm.kind)
        by_argument.setdefault(name, []).append(comm)
    return by_argument


def _new_deal(lead, actor, pipeline, contact, company, overrides) -> Deal:
    values = {
        **_common(lead),
        "title": lead.title,
        "currency": lead.currency,
        "contact": contact,
        "company": company,
        "utm": lead.utm,
        "custom": _synced_custom(lead, "deal"),
        **(overrides or {}),
    }
    rows = list(lead.product_rows.all())
    if not rows:
        values.setdefault("amount", lead.amount)
    deal = create_deal(actor=actor, pipeline=pipeline, lead=lead, **values)
    if rows:
        for row in rows:
            row.pk, row.lead, row.deal = None, None, deal
        ProductRow.objects.bulk_create(rows)
        deal.amount = sum(row.total for row in rows)
        deal.save(update_fields=["amount"])
    return deal


def _carry_timeline(lead: Lead, target) -> None:
    """Copy the lead's comments, requests and messages to the main target's timeline."""
    if target is None:
        return
    carried = (
        TimelineEntry.Kind.COMMENT,
        TimelineEntry.Kind.REQUEST,
        TimelineEntry.Kind.MESSAGE,
        TimelineEntry.Kind.CALL,
        TimelineEntry.Kind.CHAT,
        TimelineEntry.Kind.ACTIVITY,
    )
    copies = [
        TimelineEntry(
            **{target.kind.value: target},
            kind=entry.kind,
            actor_id=entry.actor_id,
            created_at=entry.created_at,
            text=entry.text,
            data={**entry.data, "from_lead": lead.pk},
            is_pinned=entry.is_pinned,
        )
        for entry in lead.timeline.filter(kind__in=carried).order_by("created_at", "pk")
    ]
    TimelineEntry.objects.bulk_create(copies)
