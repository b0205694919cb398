"""/api/v1/contacts — an adapter: every rule is in crm.services."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.api.pagination import ContactFilters, PageParams
from voronka.api.routers import items
from voronka.api.schemas.common import Id
from voronka.api.schemas.contacts import (
    CONTACT,
    ContactBulkIn,
    ContactBulkOut,
    ContactCreated,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
)
from voronka.api.schemas.items import CommentIn, TimelineEntryOut, TimelinePage
from voronka.crm.services.clients import create_contact, update_contact

router = Router(tags=["contacts"])
ContactId = Path[Id]


def _prepare(request: HttpRequest, payload: ContactIn) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True, exclude={"on_duplicate"})
    return {**items.service_values(request, values), "on_duplicate": payload.on_duplicate}


@router.get("", response=ContactPage, summary="List contacts")
def list_contacts(request: HttpRequest, filters: Query[ContactFilters], page: Query[PageParams]):
    return items.list_items(request, "contact", filters, page, CONTACT)


@router.post("", response={200: ContactCreated, 201: ContactCreated}, summary="Create a contact")
def create(request: HttpRequest, payload: ContactIn):
    """`created` is false (status 200) when the duplicate policy returned an existing contact."""
    arguments = _prepare(request, payload)
    known = items.existing_ids(request, "contact", arguments, payload.on_duplicate)
    item = create_contact(actor=request.auth, **arguments)
    answer = items.created_answer(request, "contact", item, arguments, CONTACT, known=known)
    return items.respond(answer, status=201 if answer["created"] else 200)


@router.post("/bulk", response={201: ContactBulkOut}, summary="Create up to 500 contacts, all or nothing")
def bulk(request: HttpRequest, payload: ContactBulkIn):
    return items.bulk_create(request, "contact", payload.items, _prepare, CONTACT)


@router.get("/{contact_id}", response=ContactOut, summary="Get a contact")
def get(request: HttpRequest, contact_id: ContactId):
    return items.show(items.get_item(request, "contact", contact_id), CONTACT)


@router.patch("/{contact_id}", response=ContactOut, summary="Change a contact")
def patch(request: HttpRequest, contact_id: ContactId, payload: ContactPatch):
    item = items.get_item(request, "contact", contact_id)
    update_contact(
        item, actor=request.auth, **items.service_values(request, payload.model_dump(exclude_unset=True))
    )
    return items.show(items.get_item(request, "contact", contact_id), CONTACT)


@router.delete("/{contact_id}", response={204: None}, summary="Delete a contact (to the recycle bin)")
def delete(request: HttpRequest, contact_id: ContactId):
    return items.delete_item(request, "contact", contact_id)


@router.get("/{contact_id}/timeline", response=TimelinePage, summary="A contact's timeline, newest first")
def timeline(request: HttpRequest, contact_id: ContactId, page: Query[PageParams]):
    return items.timeline_of(request, "contact", contact_id, cursor=page.cursor, limit=page.limit)


@router.post("/{contact_id}/timeline", response={201: TimelineEntryOut}, summary="Comment on a contact")
def comment(request: HttpRequest, contact_id: ContactId, payload: CommentIn):
    return items.comment_on(request, "contact", contact_id, payload.text)
