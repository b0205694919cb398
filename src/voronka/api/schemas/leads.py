"""Leads in the API."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from voronka.api.schemas.common import (
    AmountIn,
    CommsIn,
    DuplicatePolicyName,
    Id,
    Input,
    Serializer,
    ShortText,
    Text,
    attr,
    iso,
    money,
    optional_fields,
    page_schema,
)
from voronka.api.schemas.items import (
    CommsOut,
    CreatedMixin,
    ItemIn,
    ItemOut,
    ProductRowIn,
    StagedOut,
    common_getters,
    comms_getters,
    stage_getters,
)


class LeadOut(ItemOut, StagedOut, CommsOut):
    """A lead: a request from a possible client; its stage is the lead's status."""

    title: str
    first_name: str
    last_name: str
    second_name: str
    position: str
    company_title: str
    contact_id: int | None
    company_id: int | None
    is_repeat: bool
    converted_at: dt.datetime | None
    address: str
    utm: dict[str, Any]


LEAD = Serializer(
    {
        **common_getters(),
        "title": attr("title"),
        "first_name": attr("first_name"),
        "last_name": attr("last_name"),
        "second_name": attr("second_name"),
        "position": attr("position"),
        "company_title": attr("company_title"),
        "pipeline_id": lambda r: r["stage"]["pipeline_id"],
        **stage_getters("status"),
        "amount": lambda r: money(r["amount"]),
        "currency": attr("currency"),
        "is_closed": attr("is_closed"),
        "closed_at": lambda r: iso(r["closed_at"]),
        "stage_changed_at": lambda r: iso(r["stage_changed_at"]),
        "contact_id": attr("contact_id"),
        "company_id": attr("company_id"),
        "is_repeat": attr("is_repeat"),
        "converted_at": lambda r: iso(r["converted_at"]),
        "address": attr("address"),
        "utm": attr("utm"),
        **comms_getters(),
    }
)
LeadItem = optional_fields(LeadOut, "LeadItem")
LeadPage = page_schema(LeadItem, "LeadPage")


class LeadCreated(LeadOut, CreatedMixin):
    pass


class LeadFields(ItemIn):
    title: ShortText | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    second_name: ShortText | None = None
    position: ShortText | None = None
    company_title: ShortText | None = None
    amount: AmountIn | None = None
    currency: ShortText | None = None
    address: Text | None = None
    utm: dict[str, ShortText] | None = None
    contact_id: Id | None = Field(None, description="A known client: makes a repeat lead.")
    company_id: Id | None = None
    phones: CommsIn = Field(None, description='Strings or {"value", "label"} objects.')
    emails: CommsIn = None
    messengers: CommsIn = None
    websites: CommsIn = None


class LeadIn(LeadFields):
    stage_id: Id | None = Field(None, description="The first status unless given.")
    stage: ShortText | None = Field(None, description="A status code (NEW, IN_PROCESS…) or id.")
    product_rows: list[ProductRowIn] | None = Field(None, max_length=500)
    on_duplicate: DuplicatePolicyName = Field(
        "create",
        description="What to do when the phone, e-mail or company matches existing items: "
        "create regardless and report them (default), refuse, skip (return the existing lead), "
        "merge into it, or attach (a repeat lead linked to the known client).",
    )


class LeadPatch(LeadFields):
    """Only the fields sent change; phones, e-mails… replace the lead's list of that kind."""


class LeadBulkIn(Input):
    items: list[LeadIn] = Field(min_length=1, max_length=500)


class LeadBulkOut(Schema):
    items: list[LeadCreated]


class ConvertIn(Input):
    with_deal: bool = True
    pipeline_id: Id | None = Field(None, description="The deal's pipeline (the default one unless given).")
    with_contact: bool | None = Field(
        None, description="By default: when the lead names a person or has phones."
    )
    with_company: bool | None = Field(None, description="By default: when the lead has a company name.")
    contact_id: Id | None = Field(None, description="Convert onto an existing contact.")
    company_id: Id | None = Field(None, description="Convert onto an existing company.")
    deal: "ConvertDealIn | None" = Field(None, description="Deal fields overriding the lead's.")
    contact: "ConvertContactIn | None" = Field(None, description="Contact fields overriding the lead's.")
    company: "ConvertCompanyIn | None" = Field(None, description="Company fields overriding the lead's.")
    on_duplicate: DuplicatePolicyName = Field(
        "create", description="For the new contact and company: what to do with matching clients."
    )


class ConvertDealIn(Input):
    title: ShortText | None = None
    amount: AmountIn | None = None
    currency: ShortText | None = None
    assigned_to_id: Id | None = None
    comments: Text | None = None
    close_date: dt.date | None = None
    probability: int | None = Field(None, ge=0, le=100)
    custom: dict[str, Any] | None = None


class ConvertContactIn(Input):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    second_name: ShortText | None = None
    position: ShortText | None = None
    assigned_to_id: Id | None = None
    comments: Text | None = None
    custom: dict[str, Any] | None = None


class ConvertCompanyIn(Input):
    title: ShortText | None = None
    industry: ShortText | None = None
    assigned_to_id: Id | None = None
    comments: Text | None = None
    custom: dict[str, Any] | None = None


class ConvertOut(Schema):
    lead_id: int
    deal_id: int | None
    contact_id: int | None
    company_id: int | None


ConvertIn.model_rebuild()
