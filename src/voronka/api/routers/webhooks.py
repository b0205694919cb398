"""/api/v1/webhooks — outbound webhook subscriptions (administrators only)."""

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.api.pagination import PageParams
from voronka.api.routers.items import no_content, respond
from voronka.api.schemas.common import Id
from voronka.api.schemas.webhooks import (
    DeliveryPage,
    EventList,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    delivery_dict,
    webhook_dict,
)
from voronka.crm.selectors.lists import keyset_page
from voronka.webhooks import catalogue, services
from voronka.webhooks.selectors import deliveries, get_subscription, subscriptions

router = Router(tags=["webhooks"])
WebhookId = Path[Id]


@router.get("", response=WebhookList, summary="List webhook subscriptions")
def list_webhooks(request: HttpRequest):
    return respond({"items": [webhook_dict(s) for s in subscriptions(request.auth)]})


@router.get("/events", response=EventList, summary="The event catalogue")
def events(request: HttpRequest):
    """Names a subscription may ask for (docs/events.md describes each)."""
    return respond({"items": sorted(catalogue.EVENTS)})


@router.post("", response={201: WebhookOut}, summary="Subscribe a URL to events")
def create(request: HttpRequest, payload: WebhookIn):
    subscription = services.create_subscription(actor=request.auth, **payload.model_dump())
    return respond(webhook_dict(subscription), status=201)


@router.get("/{webhook_id}", response=WebhookOut, summary="Get a subscription")
def get(request: HttpRequest, webhook_id: WebhookId):
    return respond(webhook_dict(get_subscription(request.auth, webhook_id)))


@router.patch("/{webhook_id}", response=WebhookOut, summary="Change a subscription")
def update(request: HttpRequest, webhook_id: WebhookId, payload: WebhookPatch):
    subscription = services.update_subscription(
        get_subscription(request.auth, webhook_id),
        actor=request.auth,
        **payload.model_dump(exclude_unset=True),
    )
    return respond(webhook_dict(subscription))


@router.delete("/{webhook_id}", response={204: None}, summary="Delete a subscription and its log")
def delete(request: HttpRequest, webhook_id: WebhookId):
    services.delete_subscription(get_subscription(request.auth, webhook_id), actor=request.auth)
    return no_content()


@router.get("/{webhook_id}/deliveries", response=DeliveryPage, summary="A subscription's delivery log")
def delivery_log(request: HttpRequest, webhook_id: WebhookId, page: Query[PageParams]):
    subscription = get_subscription(request.auth, webhook_id)
    result = keyset_page(
        deliveries(subscription), "entries", sort="-id", cursor=page.cursor, limit=page.limit
    )
    return respond({"items": [delivery_dict(d) for d in result.items], "next_cursor": result.next_cursor})
