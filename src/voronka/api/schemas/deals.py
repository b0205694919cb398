"""Deals in the API."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from voronka.api.schemas.common import (
    AmountIn,
    Id,
    Input,
    Serializer,
    ShortText,
    attr,
    iso,
    money,
    optional_fields,
    page_schema,
)
from voronka.api.schemas.items import (
    CreatedMixin,
    ItemIn,
    ItemOut,
    ProductRowIn,
    StagedOut,
    common_getters,
    stage_getters,
)


class DealOut(ItemOut, StagedOut):
    """A deal in one pipeline; won and lost stages close it."""

    title: str
    close_date: dt.date | None
    probability: int | None
    contact_id: int | None
    company_id: int | None
    lead_id: int | None
    is_repeat: bool
    utm: dict[str, Any]


DEAL = Serializer(
    {
        **common_getters(),
        "title": attr("title"),
        "pipeline_id": attr("pipeline_id"),
        **stage_getters("stage"),
        "amount": lambda r: money(r["amount"]),
        "currency": attr("currency"),
        "is_closed": attr("is_closed"),
        "closed_at": lambda r: iso(r["closed_at"]),
        "stage_changed_at": lambda r: iso(r["stage_changed_at"]),
        "close_date": lambda r: iso(r["close_date"]),
        "probability": attr("probability"),
        "contact_id": attr("contact_id"),
        "company_id": attr("company_id"),
        "lead_id": attr("lead_id"),
        "is_repeat": attr("is_repeat"),
        "utm": attr("utm"),
    }
)
DealItem = optional_fields(DealOut, "DealItem")
DealPage = page_schema(DealItem, "DealPage")


class DealCreated(DealOut, CreatedMixin):
    pass


class DealFields(ItemIn):
    title: ShortText | None = None
    amount: AmountIn | None = None
    currency: ShortText | None = None
    close_date: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100)
    contact_id: Id | None = None
    company_id: Id | None = None
    utm: dict[str, ShortText] | None = None


class DealIn(DealFields):
    pipeline_id: Id | None = Field(None, description="The default deal pipeline unless given.")
    stage_id: Id | None = Field(None, description="The pipeline's first stage unless given.")
    stage: ShortText | None = Field(None, description="A stage code of the pipeline (or an id).")
    product_rows: list[ProductRowIn] | None = Field(None, max_length=500)


class DealPatch(DealFields):
    """Only the fields sent change. The stage changes with /move, the pipeline with /pipeline."""


class DealBulkIn(Input):
    items: list[DealIn] = Field(min_length=1, max_length=500)


class DealBulkOut(Schema):
    items: list[DealCreated]


class ChangePipelineIn(Input):
    pipeline_id: Id
    stage_id: Id | None = None
    stage: ShortText | None = Field(
        None, description="An open stage of the new pipeline (its first by default)."
    )
