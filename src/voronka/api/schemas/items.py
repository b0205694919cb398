"""What leads, deals, contacts and companies share in the API: fields, filters, actions."""

import datetime as dt
from decimal import Decimal
from operator import itemgetter
from typing import Any

from ninja import Field, Schema

from voronka.api.schemas.common import (
    AmountIn,
    CommOut,
    DuplicateOut,
    Getter,
    Id,
    Input,
    ShortText,
    StageRef,
    Text,
    attr,
    comms_of,
    iso,
    money,
    stage_dict,
)


class ItemOut(Schema):
    """Fields every item has."""

    id: int
    assigned_to_id: int | None = Field(description="The responsible user.")
    source_id: int | None
    source_description: str
    comments: str
    custom: dict[str, Any] = Field(description="Custom field values by code (UF_CRM_…).")
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CommsOut(Schema):
    phones: list[CommOut]
    emails: list[CommOut]
    messengers: list[CommOut]
    websites: list[CommOut]


def common_getters() -> dict[str, Getter]:
    return {
        "id": attr("id"),
        "assigned_to_id": attr("assigned_to_id"),
        "source_id": attr("source_id"),
        "source_description": attr("source_description"),
        "comments": attr("comments"),
        "custom": attr("custom"),
        "created_by_id": attr("created_by_id"),
        "created_at": lambda r: iso(r["created_at"]),
        "updated_at": lambda r: iso(r["updated_at"]),
    }


def comms_getters() -> dict[str, Getter]:
    return {
        "phones": lambda r: comms_of(r, "phones"),
        "emails": lambda r: comms_of(r, "emails"),
        "messengers": lambda r: comms_of(r, "messengers"),
        "websites": lambda r: comms_of(r, "websites"),
    }


def stage_getters(field: str) -> dict[str, Getter]:
    """Getters of the stage fields of a lead (`status`) or deal (`stage`)."""
    return {
        "stage_id": attr(f"{field}_id"),
        "stage": itemgetter("stage"),
    }


class StagedOut(Schema):
    pipeline_id: int
    stage_id: int
    stage: StageRef
    amount: str = Field(description="Decimal, as a string.", examples=["150000.00"])
    currency: str
    is_closed: bool
    closed_at: dt.datetime | None
    stage_changed_at: dt.datetime | None


class ItemIn(Input):
    """Fields every item accepts."""

    assigned_to_id: Id | None = Field(None, description="The responsible user (you by default).")
    source: ShortText | None = Field(None, description="A source code (WEB, CALL…) or id.")
    source_id: Id | None = None
    source_description: Text | None = None
    comments: Text | None = None
    custom: dict[str, Any] | None = Field(None, description="Custom field values by code.")


class CreatedMixin(Schema):
    created: bool = Field(description="False when the duplicate policy returned an existing item.")
    duplicates: list[DuplicateOut] = Field(
        description="Existing items with the same phone, e-mail or company name that you may see."
    )


class MoveIn(Input):
    stage_id: Id | None = Field(None, description="The target stage (or give `stage`).")
    stage: ShortText | None = Field(None, description="The target stage's code (or id).")
    reason: Text = Field("", description="Required to move back or into a lost stage.")


class ReopenIn(Input):
    stage_id: Id | None = None
    stage: ShortText | None = Field(None, description="An open stage's code or id (the last one by default).")
    reason: Text


class CommentIn(Input):
    text: Text


class TimelineEntryOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    created_at: dt.datetime
    text: str
    data: dict[str, Any]
    is_pinned: bool


class HistoryEntryOut(Schema):
    id: int
    pipeline_id: int
    from_stage: StageRef | None
    to_stage: StageRef
    moved_at: dt.datetime
    moved_by_id: int | None
    assigned_to_id: int | None
    is_backward: bool
    reason: str


class ProductRowIn(Input):
    product_id: Id | None = None
    name: ShortText | None = None
    price: AmountIn | None = None
    quantity: AmountIn | None = None
    discount_rate: AmountIn | None = None
    tax_rate: AmountIn | None = None
    tax_included: bool | None = None
    measure: ShortText | None = None


class ProductRowOut(Schema):
    id: int
    product_id: int | None
    name: str
    price: str
    quantity: str
    discount_rate: str
    tax_rate: str | None
    tax_included: bool
    measure: str
    total: str
    sort: int


class ProductRowsIn(Input):
    rows: list[ProductRowIn] = Field(max_length=500)


def product_row_dict(row) -> dict[str, Any]:
    return {
        "id": row.pk,
        "product_id": row.product_id,
        "name": row.name,
        "price": money(row.price),
        "quantity": money(row.quantity, Decimal("0.0001")),
        "discount_rate": money(row.discount_rate),
        "tax_rate": money(row.tax_rate),
        "tax_included": row.tax_included,
        "measure": row.measure,
        "total": money(row.total),
        "sort": row.sort,
    }


def row_arguments(rows: list[ProductRowIn]) -> list[dict[str, Any]]:
    """Return product rows as the services take them."""
    result = []
    for row in rows:
        values = row.model_dump(exclude_unset=True)
        if "product_id" in values:
            values["product"] = values.pop("product_id")
        result.append(values)
    return result


def timeline_dict(entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "actor_id": entry.actor_id,
        "created_at": iso(entry.created_at),
        "text": entry.text,
        "data": entry.data,
        "is_pinned": entry.is_pinned,
    }


def history_dict(row) -> dict[str, Any]:
    return {
        "id": row.pk,
        "pipeline_id": row.pipeline_id,
        "from_stage": stage_dict(row.from_stage) if row.from_stage_id else None,
        "to_stage": stage_dict(row.to_stage),
        "moved_at": iso(row.moved_at),
        "moved_by_id": row.moved_by_id,
        "assigned_to_id": row.assigned_to_id,
        "is_backward": row.is_backward,
        "reason": row.reason,
    }


class HistoryList(Schema):
    items: list[HistoryEntryOut]


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class ProductRowList(Schema):
    items: list[ProductRowOut]
