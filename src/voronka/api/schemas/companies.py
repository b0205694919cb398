"""Companies (client organisations) in the API."""

from ninja import Field, Schema

from voronka.api.schemas.common import (
    AmountIn,
    CommsIn,
    DuplicatePolicyName,
    Input,
    Serializer,
    ShortText,
    Text,
    attr,
    money,
    optional_fields,
    page_schema,
)
from voronka.api.schemas.items import CommsOut, CreatedMixin, ItemIn, ItemOut, common_getters, comms_getters


class CompanyOut(ItemOut, CommsOut):
    """A client organisation."""

    title: str
    industry: str
    employees: str
    revenue: str | None = Field(description="Decimal, as a string.")
    currency: str
    tax_id: str
    address: str
    lead_id: int | None


COMPANY = Serializer(
    {
        **common_getters(),
        "title": attr("title"),
        "industry": attr("industry"),
        "employees": attr("employees"),
        "revenue": lambda r: money(r["revenue"]),
        "currency": attr("currency"),
        "tax_id": attr("tax_id"),
        "address": attr("address"),
        "lead_id": attr("lead_id"),
        **comms_getters(),
    }
)
CompanyItem = optional_fields(CompanyOut, "CompanyItem")
CompanyPage = page_schema(CompanyItem, "CompanyPage")


class CompanyCreated(CompanyOut, CreatedMixin):
    pass


class CompanyFields(ItemIn):
    title: ShortText | None = None
    industry: ShortText | None = None
    employees: ShortText | None = None
    revenue: AmountIn | None = None
    currency: ShortText | None = None
    tax_id: ShortText | None = None
    address: Text | None = None
    phones: CommsIn = Field(None, description='Strings or {"value", "label"} objects.')
    emails: CommsIn = None
    messengers: CommsIn = None
    websites: CommsIn = None


class CompanyIn(CompanyFields):
    on_duplicate: DuplicatePolicyName = "create"


class CompanyPatch(CompanyFields):
    """Only the fields sent change; phones, e-mails… replace the company's list of that kind."""


class CompanyBulkIn(Input):
    items: list[CompanyIn] = Field(min_length=1, max_length=500)


class CompanyBulkOut(Schema):
    items: list[CompanyCreated]
