"""CRM-wide things: the working mode, duplicate look-ups, custom field definitions."""

from typing import Any, Literal

from ninja import Field, Schema

from voronka.api.schemas.common import DuplicateOut, Id, Input


class ModeOut(Schema):
    mode: Literal["classic", "simple"]
    simple_mode_pipeline_id: int | None
    open_leads: int = Field(description="How many open leads a switch to simple mode would convert.")


class ModeIn(Input):
    mode: Literal["classic", "simple"]
    pipeline_id: Id | None = Field(None, description="Simple mode: the pipeline of new deals.")


class ModeChangedOut(ModeOut):
    converted_leads: int


class DuplicateList(Schema):
    items: list[DuplicateOut]


class CustomFieldOut(Schema):
    id: int
    entity: Literal["lead", "deal", "contact", "company"]
    code: str
    name: str
    type: str
    is_required: bool
    is_multiple: bool
    options: list[dict[str, Any]]
    sort: int


class CustomFieldList(Schema):
    items: list[CustomFieldOut]


def custom_field_dict(field) -> dict[str, Any]:
    return {
        "id": field.pk,
        "entity": field.entity,
        "code": field.code,
        "name": field.name,
        "type": field.type,
        "is_required": field.is_required,
        "is_multiple": field.is_multiple,
        "options": field.options,
        "sort": field.sort,
    }
