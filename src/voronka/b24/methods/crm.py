"""crm.lead.*, crm.deal.*, crm.contact.*, crm.company.*: the classic methods (UPPER_CASE fields)."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from voronka.b24 import mapping
from voronka.b24.methods.common import get_item, item_id, mapping_param, page, visible_item, visible_items
from voronka.b24.parsing import as_list, flag, param
from voronka.b24.protocol import Call, method
from voronka.crm.services import stages
from voronka.crm.services.clients import create_company, create_contact, update_company, update_contact
from voronka.crm.services.custom_fields import definitions
from voronka.crm.services.deals import create_deal, update_deal
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.crm.services.leads import create_lead, simple_mode, update_lead
from voronka.crm.services.recycle import delete_item

KINDS = ("lead", "deal", "contact", "company")
CREATE = {"contact": create_contact, "company": create_company}
UPDATE = {"lead": update_lead, "deal": update_deal, "contact": update_contact, "company": update_company}


def custom_codes(kind: str) -> list[str]:
    return [f.code for f in definitions(kind)]


def create(kind: str, call: Call, fields: dict[str, Any]):
    """Create an item from Bitrix24 fields (Bitrix24 warns about duplicates, never blocks)."""
    values, special = mapping.arguments(kind, fields)
    if kind == "lead":
        status = mapping.find_stage("lead", special["STATUS_ID"]) if special.get("STATUS_ID") else None
        return create_lead(actor=call.user, status=status, on_duplicate=DuplicatePolicy.CREATE, **values)
    if kind == "deal":
        pipeline = (
            mapping.pipeline_of_category(special.get("CATEGORY_ID"))
            if special.get("CATEGORY_ID")
            not in (
                None,
                "",
            )
            else None
        )
        stage = mapping.find_stage("deal", special["STAGE_ID"], pipeline) if special.get("STAGE_ID") else None
        return create_deal(actor=call.user, pipeline=pipeline, stage=stage, **values)
    return CREATE[kind](actor=call.user, on_duplicate=DuplicatePolicy.CREATE, **values)


def update(kind: str, call: Call, item, fields: dict[str, Any], *, category: bool = False):
    """Change an item from Bitrix24 fields; a new status or stage is a move through the stage rules."""
    values, special = mapping.arguments(kind, fields, item)
    if values:
        item = UPDATE[kind](item, actor=call.user, **values)
    if kind == "deal" and category and special.get("CATEGORY_ID") not in (None, ""):
        pipeline = mapping.pipeline_of_category(special["CATEGORY_ID"])
        if pipeline.pk != item.pipeline_id:
            target = (
                mapping.find_stage("deal", special["STAGE_ID"], pipeline) if special.get("STAGE_ID") else None
            )
            return stages.change_pipeline(item, pipeline=pipeline, stage=target, actor=call.user)
    code = special.get("STATUS_ID" if kind == "lead" else "STAGE_ID")
    if kind in ("lead", "deal") and code:
        target = mapping.find_stage(kind, code, None if kind == "lead" else item.pipeline)
        current = item.status if kind == "lead" else item.stage
        if target.pk != current.pk:
            reason = str(special.get("STATUS_DESCRIPTION") or "") or gettext("Changed over the REST API.")
            item = stages.move(item, to=target, actor=call.user, reason=reason)
    return item


def field_descriptions(kind: str) -> dict[str, Any]:
    result = {}
    for field in mapping.FIELDS[kind].values():
        described = {
            "type": field.type,
            "isRequired": False,
            "isReadOnly": field.readonly,
            "isImmutable": field.name == "ID",
            "isMultiple": field.type == "crm_multifield" or field.name == "CONTACT_IDS",
            "isDynamic": False,
            "title": field.title or field.name,
        }
        if field.status_type:
            described["statusType"] = field.status_type
        result[field.name] = described
    for definition in definitions(kind):
        result[definition.code] = {
            "type": USER_TYPES.get(definition.type, "string"),
            "isRequired": definition.is_required,
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": definition.is_multiple,
            "isDynamic": True,
            "title": definition.code,
            "listLabel": definition.name,
            "formLabel": definition.name,
            "filterLabel": definition.name,
            **(
                {"items": [{"ID": str(o["id"]), "VALUE": o["value"]} for o in definition.options]}
                if definition.type == "enum"
                else {}
            ),
        }
    return result


USER_TYPES = {
    "string": "string",
    "number": "double",
    "date": "date",
    "bool": "boolean",
    "enum": "enumeration",
    "user": "employee",
}


def _register(kind: str) -> None:
    prefix = f"crm.{kind}"

    @method(f"{prefix}.fields")
    def fields(call: Call):
        return field_descriptions(kind)

    @method(f"{prefix}.add")
    def add(call: Call):
        return create(kind, call, mapping_param(call, "fields", required=True)).pk

    @method(f"{prefix}.get")
    def get(call: Call):
        item = get_item(call, kind, item_id(call))
        return mapping.row(kind, item, mapping.selection(kind, None, full=True), custom_codes(kind))

    @method(f"{prefix}.list")
    def list_(call: Call):
        filters = mapping.filter_q(kind, mapping_param(call, "filter"))
        order = mapping.ordering(kind, mapping_param(call, "order"))
        names = mapping.selection(kind, param(call.params, "select"))
        codes = custom_codes(kind)
        queryset = visible_items(call, kind).filter(filters).order_by(*order).distinct()
        return page(call, queryset, lambda item: mapping.row(kind, item, names, codes))

    @method(f"{prefix}.update")
    def update_(call: Call):
        item = visible_item(call, kind, item_id(call))
        update(kind, call, item, mapping_param(call, "fields"))
        return True

    @method(f"{prefix}.delete")
    def delete(call: Call):
        delete_item(visible_item(call, kind, item_id(call)), actor=call.user)
        return True


for _kind in KINDS:
    _register(_kind)


def _register_contacts(kind: str) -> None:
    """crm.{deal,lead}.contact.items.get/set: a Voronka deal or lead has one contact."""

    @method(f"crm.{kind}.contact.items.get")
    def contacts_get(call: Call):
        item = get_item(call, kind, item_id(call))
        if not item.contact_id:
            return []
        return [{"CONTACT_ID": item.contact_id, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"}]

    @method(f"crm.{kind}.contact.items.set")
    def contacts_set(call: Call):
        item = visible_item(call, kind, item_id(call))
        entries = [e for e in as_list(param(call.params, "items")) if isinstance(e, dict)]
        entries.sort(key=lambda e: (not flag(e.get("IS_PRIMARY")), int(e.get("SORT") or 0)))
        contact = entries[0].get("CONTACT_ID") if entries else None
        UPDATE[kind](item, actor=call.user, contact=contact or None)
        return True


for _kind in ("deal", "lead"):
    _register_contacts(_kind)


@method("crm.settings.mode.get")
def mode_get(call: Call) -> int:
    return 2 if simple_mode() else 1


@method("crm.enum.ownertype")
def owner_types(call: Call):
    return [
        {"ID": type_id, "NAME": kind.title(), "SYMBOL_CODE": kind.upper(), "SYMBOL_CODE_SHORT": short}
        for (kind, type_id), short in zip(mapping.ENTITY_TYPE_IDS.items(), ("L", "D", "C", "CO"), strict=True)
    ]


@method("crm.currency.list")
def currencies(call: Call):
    return [
        {
            "CURRENCY": settings.DEFAULT_CURRENCY,
            "AMOUNT_CNT": 1,
            "AMOUNT": "1.0000",
            "SORT": 100,
            "BASE": "Y",
            "FULL_NAME": settings.DEFAULT_CURRENCY,
        }
    ]
