"""/api/v1/leads — an adapter: every rule is in crm.services."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.accounts.models import Action
from voronka.api.pagination import LeadFilters, PageParams
from voronka.api.routers import items
from voronka.api.schemas.common import Id
from voronka.api.schemas.items import (
    CommentIn,
    HistoryList,
    MoveIn,
    ProductRowList,
    ProductRowsIn,
    ReopenIn,
    TimelineEntryOut,
    TimelinePage,
    row_arguments,
)
from voronka.api.schemas.leads import (
    LEAD,
    ConvertIn,
    ConvertOut,
    LeadBulkIn,
    LeadBulkOut,
    LeadCreated,
    LeadIn,
    LeadOut,
    LeadPage,
    LeadPatch,
)
from voronka.crm.selectors.pipelines import get_pipeline, lead_pipeline
from voronka.crm.services import stages
from voronka.crm.services.conversion import convert_lead
from voronka.crm.services.leads import create_lead, update_lead

router = Router(tags=["leads"])
LeadId = Path[Id]


def _status(stage_id: int | None, stage: str | None):
    if stage_id is None and stage in (None, ""):
        return None
    return items.optional_stage(lead_pipeline(), stage_id, stage)


def _prepare(request: HttpRequest, payload: LeadIn) -> dict[str, Any]:
    values = payload.model_dump(
        exclude_unset=True, exclude={"stage_id", "stage", "product_rows", "on_duplicate"}
    )
    arguments = items.service_values(request, values)
    arguments["status"] = _status(payload.stage_id, payload.stage)
    arguments["on_duplicate"] = payload.on_duplicate
    if payload.product_rows is not None:
        arguments["product_rows"] = row_arguments(payload.product_rows)
    return arguments


@router.get("", response=LeadPage, summary="List leads")
def list_leads(request: HttpRequest, filters: Query[LeadFilters], page: Query[PageParams]):
    """Leads you may see: filters on indexed fields, `q` search, sorting, cursor pages, `fields=`."""
    return items.list_items(request, "lead", filters, page, LEAD)


@router.post("", response={200: LeadCreated, 201: LeadCreated}, summary="Create a lead")
def create(request: HttpRequest, payload: LeadIn):
    """Create a lead. `created` is false (status 200) when the duplicate policy returned an existing one."""
    arguments = _prepare(request, payload)
    known = items.existing_ids(request, "lead", arguments, payload.on_duplicate)
    lead = create_lead(actor=request.auth, **arguments)
    answer = items.created_answer(request, "lead", lead, arguments, LEAD, known=known)
    return items.respond(answer, status=201 if answer["created"] else 200)


@router.post("/bulk", response={201: LeadBulkOut}, summary="Create up to 500 leads, all or nothing")
def bulk(request: HttpRequest, payload: LeadBulkIn):
    """Every lead is created, or none: a 422 answer lists the refused ones by index."""
    return items.bulk_create(request, "lead", payload.items, _prepare, LEAD)


@router.get("/{lead_id}", response=LeadOut, summary="Get a lead")
def get(request: HttpRequest, lead_id: LeadId):
    return items.show(items.get_item(request, "lead", lead_id), LEAD)


@router.patch("/{lead_id}", response=LeadOut, summary="Change a lead")
def patch(request: HttpRequest, lead_id: LeadId, payload: LeadPatch):
    lead = items.get_item(request, "lead", lead_id)
    values = items.service_values(request, payload.model_dump(exclude_unset=True))
    lead = update_lead(lead, actor=request.auth, **values)
    return items.show(items.get_item(request, "lead", lead.pk), LEAD)


@router.delete("/{lead_id}", response={204: None}, summary="Delete a lead (to the recycle bin)")
def delete(request: HttpRequest, lead_id: LeadId):
    return items.delete_item(request, "lead", lead_id)


@router.post("/{lead_id}/move", response=LeadOut, summary="Move a lead to another status")
def move(request: HttpRequest, lead_id: LeadId, payload: MoveIn):
    """Forward moves are free; a move back needs the right and a reason; junk needs a reason."""
    lead = items.get_item(request, "lead", lead_id)
    target = items.required_stage(lead_pipeline(), payload.stage_id, payload.stage)
    stages.move(lead, to=target, actor=request.auth, reason=payload.reason)
    return items.show(items.get_item(request, "lead", lead_id), LEAD)


@router.post("/{lead_id}/reopen", response=LeadOut, summary="Re-open a closed lead")
def reopen(request: HttpRequest, lead_id: LeadId, payload: ReopenIn):
    lead = items.get_item(request, "lead", lead_id)
    stages.reopen(
        lead, to=_status(payload.stage_id, payload.stage), actor=request.auth, reason=payload.reason
    )
    return items.show(items.get_item(request, "lead", lead_id), LEAD)


@router.post("/{lead_id}/convert", response={201: ConvertOut}, summary="Convert a lead")
def convert(request: HttpRequest, lead_id: LeadId, payload: ConvertIn | None = None):
    """Make a deal and/or a contact and company from a lead; the lead ends converted.

    Without a body: a deal in the default pipeline, plus a contact and/or company as the lead's
    data calls for.
    """
    payload = payload or ConvertIn()
    lead = items.get_item(request, "lead", lead_id, Action.READ)
    pipeline = get_pipeline(payload.pipeline_id, kind="deal") if payload.pipeline_id else None
    overrides = {
        name: items.service_values(request, part.model_dump(exclude_unset=True)) if part else None
        for name, part in (("deal", payload.deal), ("contact", payload.contact), ("company", payload.company))
    }
    result = convert_lead(
        lead,
        actor=request.auth,
        with_deal=payload.with_deal,
        pipeline=pipeline,
        contact=items.linked(request, "contact", payload.contact_id, field="contact_id"),
        company=items.linked(request, "company", payload.company_id, field="company_id"),
        with_contact=payload.with_contact,
        with_company=payload.with_company,
        deal_fields=overrides["deal"],
        contact_fields=overrides["contact"],
        company_fields=overrides["company"],
        on_duplicate=payload.on_duplicate,
    )
    return items.respond(
        {
            "lead_id": result.lead.pk,
            "deal_id": result.deal.pk if result.deal else None,
            "contact_id": result.contact.pk if result.contact else None,
            "company_id": result.company.pk if result.company else None,
        },
        status=201,
    )


@router.get("/{lead_id}/history", response=HistoryList, summary="A lead's status history")
def history(request: HttpRequest, lead_id: LeadId):
    return items.history_of(request, "lead", lead_id)


@router.get("/{lead_id}/timeline", response=TimelinePage, summary="A lead's timeline, newest first")
def timeline(request: HttpRequest, lead_id: LeadId, page: Query[PageParams]):
    return items.timeline_of(request, "lead", lead_id, cursor=page.cursor, limit=page.limit)


@router.post("/{lead_id}/timeline", response={201: TimelineEntryOut}, summary="Comment on a lead")
def comment(request: HttpRequest, lead_id: LeadId, payload: CommentIn):
    return items.comment_on(request, "lead", lead_id, payload.text)


@router.get("/{lead_id}/products", response=ProductRowList, summary="A lead's product rows")
def product_rows(request: HttpRequest, lead_id: LeadId):
    return items.product_rows_of(request, "lead", lead_id)


@router.put("/{lead_id}/products", response=ProductRowList, summary="Replace a lead's product rows")
def set_rows(request: HttpRequest, lead_id: LeadId, payload: ProductRowsIn):
    """The lead's amount follows its rows."""
    return items.replace_product_rows(request, "lead", lead_id, row_arguments(payload.rows))
