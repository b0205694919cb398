"""crm.item.* for leads (1), deals (2), contacts (3) and companies (4): camelCase, typed values.

The same reads and writes as the classic methods (crm.py); only the names and shapes differ.
"""

import re
from typing import Any

from voronka.b24 import mapping
from voronka.b24.methods.common import get_item, item_id, mapping_param, page, visible_item, visible_items
from voronka.b24.methods.crm import create, custom_codes, field_descriptions, update
from voronka.b24.parsing import as_list, flag, param
from voronka.b24.protocol import B24Error, Call, method
from voronka.crm.services.recycle import delete_item

SPECIAL = {
    "ID": "id",
    "DATE_CREATE": "createdTime",
    "DATE_MODIFY": "updatedTime",
    "CREATED_BY_ID": "createdBy",
    "MODIFY_BY_ID": "updatedBy",
    "MOVED_BY_ID": "movedBy",
    "SOURCE_ID": "sourceId",
    "CURRENCY_ID": "currencyId",
    "DATE_CLOSED": "closedate",
    "CLOSEDATE": "closedate",
    "BEGINDATE": "begindate",
}
LEAD_SPECIAL = {
    "STATUS_ID": "stageId",
    "STATUS_SEMANTIC_ID": "stageSemanticId",
    "STATUS_DESCRIPTION": "statusDescription",
}
TYPED = {"integer", "user", "crm_company", "crm_contact", "crm_lead", "crm_category"}
_UF = re.compile(r"^UF_CRM_(.+)$")


def camel(kind: str, name: str, *, original_uf: bool = False) -> str:
    """The crm.item name of a classic field name."""
    if kind == "lead" and name in LEAD_SPECIAL:
        return LEAD_SPECIAL[name]
    if name in SPECIAL:
        return SPECIAL[name]
    uf = _UF.match(name)
    if uf:
        if original_uf:
            return name
        rest = uf.group(1)
        return "ufCrm" + "".join(
            p[:1].upper() + p[1:].lower() if not p.isdigit() else p for p in rest.split("_")
        )
    head, *tail = name.lower().split("_")
    return head + "".join(part.capitalize() for part in tail)


def classic_names(kind: str) -> dict[str, str]:
    """{crm.item name (lower case): classic name} for every field and custom field of `kind`."""
    names = {camel(kind, n).lower(): n for n in mapping.FIELDS[kind]}
    names.update({n.lower(): n for n in mapping.FIELDS[kind]})
    for code in custom_codes(kind):
        names[camel(kind, code).lower()] = code
        names[code.lower()] = code
    names["fm"] = "FM"
    return names


def _typed(kind: str, name: str, value: Any) -> Any:
    field = mapping.FIELDS[kind].get(name)
    if field is None or value in (None, ""):
        return value if value != "" else None
    if field.type in TYPED and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if field.type == "double":
        return float(value)
    return value


def item_dict(
    kind: str, item, *, select: Any = None, original_uf: bool = False, codes: list[str] | None = None
) -> dict[str, Any]:
    chosen = [str(s) for s in as_list(select)]
    names = mapping.selection(kind, None, full=True)
    row = mapping.row(kind, item, names, custom_codes(kind) if codes is None else codes)
    result: dict[str, Any] = {}
    for name, value in row.items():
        if name in mapping.MULTI:
            continue
        result[camel(kind, name, original_uf=original_uf)] = _typed(kind, name, value)
    if kind == "deal":
        result["contactIds"] = [item.contact_id] if item.contact_id else []
        result["isWon"] = "Y" if item.stage.is_won else "N"
        result["isLose"] = "Y" if item.stage.is_lost else "N"
    if kind != "deal":
        result["fm"] = [
            {"id": c.pk, "typeId": name, "valueType": c.label.upper(), "value": c.value}
            for name, comm_kind in mapping.MULTI.items()
            for c in item.communications.all()
            if c.kind == comm_kind
        ]
    if chosen and "*" not in chosen:
        wanted = {c.lower() for c in chosen} | {"id"}
        result = {k: v for k, v in result.items() if k.lower() in wanted}
    return result


def _kind(call: Call) -> str:
    try:
        kind = mapping.KIND_OF_TYPE.get(int(param(call.params, "entityTypeId") or 0))
    except (TypeError, ValueError):
        kind = None
    if kind is None:
        raise B24Error("NOT_FOUND", "SPA not found")
    return kind


def classic_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """crm.item `fields` as classic fields (fm as PHONE/EMAIL/... lists)."""
    names = classic_names(kind)
    result: dict[str, Any] = {}
    for key, value in fields.items():
        name = names.get(str(key).lower())
        if name == "FM":
            for entry in (
                as_list(value)
                if not isinstance(value, dict)
                else [
                    {"id": k if str(k).isdigit() else None, **v}
                    for k, v in value.items()
                    if isinstance(v, dict)
                ]
            ):
                entry = {str(k).lower(): v for k, v in entry.items()}
                type_name = str(entry.get("typeid") or "PHONE").upper()
                result.setdefault(type_name, []).append(
                    {"ID": entry.get("id"), "VALUE": entry.get("value"), "VALUE_TYPE": entry.get("valuetype")}
                )
        elif name is not None:
            result[name] = value
    return result


def _classic_filter(kind: str, filters: dict[str, Any]) -> dict[str, Any]:
    names = classic_names(kind)
    converted = {}
    for key, value in filters.items():
        key = str(key)
        prefix = key[: len(key) - len(key.lstrip("=<>!@%"))]
        name = names.get(key[len(prefix) :].lower())
        if name is None:
            raise B24Error(
                "INVALID_ARG_VALUE", f"Invalid filter: field '{key[len(prefix) :]}' is not allowed in filter"
            )
        converted[prefix + name] = value
    return converted


def _classic_order(kind: str, order: dict[str, Any]) -> dict[str, Any]:
    names = classic_names(kind)
    converted = {}
    for key, value in order.items():
        name = names.get(str(key).lower())
        if name is None:
            raise B24Error("INVALID_ARG_VALUE", f"Invalid order: field '{key}' is not allowed")
        converted[name] = value
    return converted


@method("crm.item.fields", coded_errors=True)
def fields(call: Call):
    kind = _kind(call)
    original = flag(param(call.params, "useOriginalUfNames"))
    return {"fields": {camel(kind, n, original_uf=original): d for n, d in field_descriptions(kind).items()}}


@method("crm.item.add", coded_errors=True)
def add(call: Call):
    kind = _kind(call)
    item = create(kind, call, classic_fields(kind, mapping_param(call, "fields", required=True)))
    return {"item": item_dict(kind, get_item(call, kind, item.pk, coded=True))}


@method("crm.item.get", coded_errors=True)
def get(call: Call):
    kind = _kind(call)
    original = flag(param(call.params, "useOriginalUfNames"))
    return {"item": item_dict(kind, get_item(call, kind, item_id(call), coded=True), original_uf=original)}


@method("crm.item.list", coded_errors=True)
def list_(call: Call):
    kind = _kind(call)
    original = flag(param(call.params, "useOriginalUfNames"))
    filters = mapping.filter_q(kind, _classic_filter(kind, mapping_param(call, "filter")))
    order = mapping.ordering(kind, _classic_order(kind, mapping_param(call, "order")))
    select = param(call.params, "select")
    codes = custom_codes(kind)
    queryset = visible_items(call, kind).filter(filters).order_by(*order).distinct()
    return page(
        call,
        queryset,
        lambda i: item_dict(kind, i, select=select, original_uf=original, codes=codes),
        classic=False,
        wrap="items",
    )


@method("crm.item.update", coded_errors=True)
def update_(call: Call):
    kind = _kind(call)
    item = visible_item(call, kind, item_id(call))
    update(kind, call, item, classic_fields(kind, mapping_param(call, "fields")), category=True)
    return {"item": item_dict(kind, get_item(call, kind, item.pk, coded=True))}


@method("crm.item.delete", coded_errors=True)
def delete(call: Call):
    kind = _kind(call)
    delete_item(visible_item(call, kind, item_id(call)), actor=call.user)
    return []
