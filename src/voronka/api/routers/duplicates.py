"""/api/v1/duplicates — who already has this phone, e-mail or company name (in your scope)."""

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from voronka.api.routers.items import respond
from voronka.api.schemas.common import ShortText
from voronka.api.schemas.crm import DuplicateList
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.lib.errors import Invalid

router = Router(tags=["duplicates"])


class DuplicateQuery(Schema):
    phone: list[ShortText] = Field(default_factory=list, description="Any spelling: 8 (495) 109-63-75.")
    email: list[ShortText] = Field(default_factory=list)
    company: ShortText | None = Field(None, description="A company name (ООО «Ромашка» = Ромашка).")
    kind: list[Literal["lead", "contact", "company"]] = Field(
        default_factory=list, description="Look among these kinds (all by default)."
    )


@router.get("", response=DuplicateList, summary="Find duplicates by phone, e-mail or company name")
def find(request: HttpRequest, query: Query[DuplicateQuery]):
    if not (query.phone or query.email or query.company):
        raise Invalid(
            "duplicates.nothing_to_match",
            _("Give a phone, an e-mail or a company name."),
            details={"phone": _("Required.")},
        )
    matches = find_duplicates(
        phones=query.phone,
        emails=query.email,
        company_title=query.company or "",
        kinds=query.kind or ("lead", "contact", "company"),
        user=request.auth,
    )
    return respond({"items": [match.as_dict() for match in matches]})
