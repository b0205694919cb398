"""Voronka's extension methods (not in Bitrix24): `voronka.lead.convert`, atomic lead conversion.

Params: `id` (the lead), `fields` with optional `DEAL` (Y/N, default Y), `CATEGORY_ID`,
`CONTACT_ID` / `COMPANY_ID` (attach existing clients), `CONTACT` / `COMPANY` (Y/N: make new ones).
Result: {"LEAD_ID", "DEAL_ID", "CONTACT_ID", "COMPANY_ID"} (ids or null). All or nothing.
"""

from voronka.b24 import mapping
from voronka.b24.methods.common import item_id, mapping_param, visible_item
from voronka.b24.parsing import flag
from voronka.b24.protocol import Call, method
from voronka.crm.services.conversion import convert_lead


def _optional_flag(value):
    return None if value in (None, "") else flag(value)


@method("voronka.lead.convert")
def convert(call: Call):
    lead = visible_item(call, "lead", item_id(call))
    fields = {str(k).upper(): v for k, v in mapping_param(call, "fields").items()}
    contact = visible_item(call, "contact", int(fields["CONTACT_ID"])) if fields.get("CONTACT_ID") else None
    company = visible_item(call, "company", int(fields["COMPANY_ID"])) if fields.get("COMPANY_ID") else None
    pipeline = (
        mapping.pipeline_of_category(fields["CATEGORY_ID"])
        if fields.get("CATEGORY_ID") not in (None, "")
        else None
    )
    done = convert_lead(
        lead,
        actor=call.user,
        with_deal=flag(fields.get("DEAL"), default=True),
        pipeline=pipeline,
        contact=contact,
        company=company,
        with_contact=_optional_flag(fields.get("CONTACT")),
        with_company=_optional_flag(fields.get("COMPANY")),
    )
    return {
        "LEAD_ID": done.lead.pk,
        "DEAL_ID": done.deal.pk if done.deal else None,
        "CONTACT_ID": done.contact.pk if done.contact else None,
        "COMPANY_ID": done.company.pk if done.company else None,
    }
