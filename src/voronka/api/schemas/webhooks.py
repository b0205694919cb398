"""Outbound webhook subscriptions and their delivery log."""

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Field, Schema

from voronka.api.schemas.common import Input, ShortText, iso


class WebhookOut(Schema):
    id: int
    name: str
    target_url: str
    events: list[str]
    secret: str = Field(description="Signs every delivery (HMAC-SHA256); keep a copy on the receiver.")
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookList(Schema):
    items: list[WebhookOut]


class WebhookIn(Input):
    target_url: Annotated[str, Field(max_length=2000)]
    events: list[ShortText] = Field(min_length=1, max_length=100, description='Catalogue names, or ["*"].')
    name: ShortText = ""
    secret: ShortText | None = Field(None, description="16–200 characters; generated when not given.")
    is_active: bool = True


class WebhookPatch(Input):
    target_url: Annotated[str, Field(max_length=2000)] | None = None
    events: list[ShortText] | None = Field(None, min_length=1, max_length=100)
    name: ShortText | None = None
    secret: ShortText | None = Field(None, description="A new secret (16–200 characters).")
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    delivery_id: uuid.UUID
    event: str
    event_id: uuid.UUID
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    response_status: int | None
    response_body: str
    error: str
    created_at: dt.datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class EventList(Schema):
    items: list[str]


def webhook_dict(subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "target_url": subscription.target_url,
        "events": subscription.events,
        "secret": subscription.secret,
        "is_active": subscription.is_active,
        "created_at": iso(subscription.created_at),
        "updated_at": iso(subscription.updated_at),
    }


def delivery_dict(delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "delivery_id": str(delivery.delivery_id),
        "event": delivery.event,
        "event_id": str(delivery.event_id),
        "payload": delivery.payload,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at),
        "last_attempt_at": iso(delivery.last_attempt_at),
        "delivered_at": iso(delivery.delivered_at),
        "response_status": delivery.response_status,
        "response_body": delivery.response_body,
        "error": delivery.error,
        "created_at": iso(delivery.created_at),
    }
