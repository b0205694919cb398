"""/api/v1/custom-fields — the definitions of custom fields (their values live on the items)."""

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router

from voronka.api.routers.items import respond
from voronka.api.schemas.crm import CustomFieldList, custom_field_dict
from voronka.crm.models import CustomField
from voronka.crm.services.custom_fields import definitions

router = Router(tags=["custom fields"])


@router.get("", response=CustomFieldList, summary="List custom field definitions")
def list_fields(
    request: HttpRequest, entity: Query[Literal["lead", "deal", "contact", "company"] | None] = None
):
    """The codes (UF_CRM_…) and types of the values items carry in `custom`."""
    entities = [entity] if entity else CustomField.Entity.values
    return respond({"items": [custom_field_dict(f) for kind in entities for f in definitions(kind)]})
