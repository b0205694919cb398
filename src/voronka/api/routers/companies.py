"""/api/v1/companies — an adapter: every rule is in crm.services."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.api.pagination import CompanyFilters, PageParams
from voronka.api.routers import items
from voronka.api.schemas.common import Id
from voronka.api.schemas.companies import (
    COMPANY,
    CompanyBulkIn,
    CompanyBulkOut,
    CompanyCreated,
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyPatch,
)
from voronka.api.schemas.items import CommentIn, TimelineEntryOut, TimelinePage
from voronka.crm.services.clients import create_company, update_company

router = Router(tags=["companies"])
CompanyId = Path[Id]


def _prepare(request: HttpRequest, payload: CompanyIn) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True, exclude={"on_duplicate"})
    return {**items.service_values(request, values), "on_duplicate": payload.on_duplicate}


@router.get("", response=CompanyPage, summary="List companies")
def list_companies(request: HttpRequest, filters: Query[CompanyFilters], page: Query[PageParams]):
    return items.list_items(request, "company", filters, page, COMPANY)


@router.post("", response={200: CompanyCreated, 201: CompanyCreated}, summary="Create a company")
def create(request: HttpRequest, payload: CompanyIn):
    """`created` is false (status 200) when the duplicate policy returned an existing company."""
    arguments = _prepare(request, payload)
    known = items.existing_ids(request, "company", arguments, payload.on_duplicate)
    item = create_company(actor=request.auth, **arguments)
    answer = items.created_answer(request, "company", item, arguments, COMPANY, known=known)
    return items.respond(answer, status=201 if answer["created"] else 200)


@router.post("/bulk", response={201: CompanyBulkOut}, summary="Create up to 500 companies, all or nothing")
def bulk(request: HttpRequest, payload: CompanyBulkIn):
    return items.bulk_create(request, "company", payload.items, _prepare, COMPANY)


@router.get("/{company_id}", response=CompanyOut, summary="Get a company")
def get(request: HttpRequest, company_id: CompanyId):
    return items.show(items.get_item(request, "company", company_id), COMPANY)


@router.patch("/{company_id}", response=CompanyOut, summary="Change a company")
def patch(request: HttpRequest, company_id: CompanyId, payload: CompanyPatch):
    item = items.get_item(request, "company", company_id)
    update_company(
        item, actor=request.auth, **items.service_values(request, payload.model_dump(exclude_unset=True))
    )
    return items.show(items.get_item(request, "company", company_id), COMPANY)


@router.delete("/{company_id}", response={204: None}, summary="Delete a company (to the recycle bin)")
def delete(request: HttpRequest, company_id: CompanyId):
    return items.delete_item(request, "company", company_id)


@router.get("/{company_id}/timeline", response=TimelinePage, summary="A company's timeline, newest first")
def timeline(request: HttpRequest, company_id: CompanyId, page: Query[PageParams]):
    return items.timeline_of(request, "company", company_id, cursor=page.cursor, limit=page.limit)


@router.post("/{company_id}/timeline", response={201: TimelineEntryOut}, summary="Comment on a company")
def comment(request: HttpRequest, company_id: CompanyId, payload: CommentIn):
    return items.comment_on(request, "company", company_id, payload.text)
