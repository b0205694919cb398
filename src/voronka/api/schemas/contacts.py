"""Contacts (client people) in the API."""

import datetime as dt

from ninja import Field, Schema

from voronka.api.schemas.common import (
    CommsIn,
    DuplicatePolicyName,
    Id,
    Input,
    Serializer,
    ShortText,
    Text,
    attr,
    iso,
    optional_fields,
    page_schema,
)
from voronka.api.schemas.items import CommsOut, CreatedMixin, ItemIn, ItemOut, common_getters, comms_getters


class ContactOut(ItemOut, CommsOut):
    """A client person, possibly working for a company."""

    first_name: str
    last_name: str
    second_name: str
    position: str
    birthdate: dt.date | None
    company_id: int | None
    address: str
    lead_id: int | None


CONTACT = Serializer(
    {
        **common_getters(),
        "first_name": attr("first_name"),
        "last_name": attr("last_name"),
        "second_name": attr("second_name"),
        "position": attr("position"),
        "birthdate": lambda r: iso(r["birthdate"]),
        "company_id": attr("company_id"),
        "address": attr("address"),
        "lead_id": attr("lead_id"),
        **comms_getters(),
    }
)
ContactItem = optional_fields(ContactOut, "ContactItem")
ContactPage = page_schema(ContactItem, "ContactPage")


class ContactCreated(ContactOut, CreatedMixin):
    pass


class ContactFields(ItemIn):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    second_name: ShortText | None = None
    position: ShortText | None = None
    birthdate: dt.date | None = None
    company_id: Id | None = None
    address: Text | None = None
    phones: CommsIn = Field(None, description='Strings or {"value", "label"} objects.')
    emails: CommsIn = None
    messengers: CommsIn = None
    websites: CommsIn = None


class ContactIn(ContactFields):
    on_duplicate: DuplicatePolicyName = "create"


class ContactPatch(ContactFields):
    """Only the fields sent change; phones, e-mails… replace the contact's list of that kind."""


class ContactBulkIn(Input):
    items: list[ContactIn] = Field(min_length=1, max_length=500)


class ContactBulkOut(Schema):
    items: list[ContactCreated]
