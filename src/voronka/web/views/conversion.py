"""The conversion wizard: a lead becomes a deal and a contact and/or company, new or existing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from voronka.crm.models import Communication
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.selectors.items import get_visible
from voronka.crm.selectors.pipelines import deal_pipelines, default_deal_pipeline, get_pipeline
from voronka.crm.services.conversion import convert_lead
from voronka.lib.errors import Forbidden, Invalid, NotFound, Refused


def _suggestions(request, lead, kind: str) -> list:
    comms = list(lead.communications.all())
    matches = find_duplicates(
        phones=[c.normalized for c in comms if c.kind == Communication.Kind.PHONE],
        emails=[c.normalized for c in comms if c.kind == Communication.Kind.EMAIL],
        company_title=lead.company_title if kind == "company" else "",
        kinds=(kind,),
        user=request.user,
        limit=5,
    )
    return [{"choice": f"existing:{m.item_id}", "title": m.title, "value": m.value} for m in matches]


def _target(request, choice: str, kind: str):
    """Return (existing item or None, create a new one?) for a "new" / "existing:<id>" / "none" choice."""
    if choice == "new":
        return None, True
    if choice.startswith("existing:"):
        return get_visible(request.user, kind, choice.removeprefix("existing:")), False
    if choice == "pick":
        return get_visible(request.user, kind, request.POST.get(f"{kind}_pick", "")), False
    return None, False


@login_required
def convert(request, item_id: int):
    """Pick the deal pipeline and the client (new, a suggested existing one, or none), then convert."""
    lead = get_visible(request.user, "lead", item_id)
    if lead.converted_at or lead.is_closed:
        messages.error(request, _("This lead is closed or converted already."))
        return redirect("web:card", "leads", lead.pk)
    contacts, companies = _suggestions(request, lead, "contact"), _suggestions(request, lead, "company")
    has_person = bool(lead.first_name or lead.last_name or lead.communications.exists())
    defaults = {
        "contact": contacts[0]["choice"] if contacts else ("new" if has_person else "none"),
        "company": companies[0]["choice"] if companies else ("new" if lead.company_title else "none"),
    }
    error = None
    if request.method == "POST":
        try:
            contact, new_contact = _target(request, request.POST.get("contact", "none"), "contact")
            company, new_company = _target(request, request.POST.get("company", "none"), "company")
            with_deal = request.POST.get("with_deal") == "1"
            pipeline_id = request.POST.get("pipeline")
            pipeline = get_pipeline(pipeline_id, kind="deal") if pipeline_id else default_deal_pipeline()
            result = convert_lead(
                lead,
                actor=request.user,
                with_deal=with_deal,
                pipeline=pipeline,
                contact=contact,
                company=company,
                with_contact=new_contact,
                with_company=new_company,
            )
        except (Invalid, Refused, Forbidden, NotFound) as refusal:
            error = refusal.message
        else:
            messages.success(request, _("The lead is converted."))
            target = result.deal or result.contact or result.company
            segment = {"deal": "deals", "contact": "contacts", "company": "companies"}[target.kind.value]
            return redirect("web:card", segment, target.pk)
        defaults = {"contact": request.POST.get("contact", ""), "company": request.POST.get("company", "")}
    context = {
        "lead": lead,
        "pipelines": list(deal_pipelines()),
        "default_pipeline": default_deal_pipeline(),
        "contacts": contacts,
        "companies": companies,
        "defaults": defaults,
        "error": error,
    }
    return render(request, "web/items/convert.html", context)
