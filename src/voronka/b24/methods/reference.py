"""Reference lists and per-item data: crm.status.*, crm.category.*, crm.dealcategory.*, product rows,
stage history, duplicates and timeline comments."""

from decimal import Decimal
from typing import Any

from voronka.b24 import mapping
from voronka.b24.methods.common import get_item, item_id, mapping_param, page, visible_item
from voronka.b24.parsing import as_list, flag, param
from voronka.b24.protocol import B24Error, Call, Page, bad_argument, iso, method
from voronka.crm.models import Pipeline, Stage
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.selectors.history import get_visible_comment, timeline, visible_stage_history
from voronka.crm.selectors.pipelines import deal_pipelines, default_deal_pipeline, lead_pipeline, sources
from voronka.crm.services import pipelines as pipeline_services
from voronka.crm.services import products
from voronka.crm.services import timeline as timeline_services
from voronka.lib.errors import NotFound

SEMANTICS = {"open": None, "won": "S", "lost": "F"}
EXTRA = {"open": "process", "won": "success", "lost": "failure"}


# --- crm.status.* ---------------------------------------------------------------------------


def _entity_of(pipeline: Pipeline) -> str:
    if pipeline.kind == Pipeline.Kind.LEAD:
        return "STATUS"
    return "DEAL_STAGE" if pipeline.is_default else f"DEAL_STAGE_{pipeline.pk}"


def _status_row(stage: Stage, pipeline: Pipeline) -> dict[str, Any]:
    return {
        "ID": str(stage.pk),
        "ENTITY_ID": _entity_of(pipeline),
        "STATUS_ID": mapping.stage_id(stage, pipeline),
        "NAME": stage.title,
        "NAME_INIT": stage.title if stage.is_system_name else "",
        "SORT": str(stage.sort),
        "SYSTEM": "Y" if stage.is_system_name else "N",
        "CATEGORY_ID": None if pipeline.kind == Pipeline.Kind.LEAD else str(mapping.category_id(pipeline)),
        "COLOR": stage.color,
        "SEMANTICS": SEMANTICS[stage.semantics],
        "EXTRA": {"SEMANTICS": EXTRA[stage.semantics], "COLOR": stage.color},
    }


def _source_row(source) -> dict[str, Any]:
    return {
        "ID": str(source.pk),
        "ENTITY_ID": "SOURCE",
        "STATUS_ID": source.code,
        "NAME": source.title,
        "NAME_INIT": source.title if source.is_system_name else "",
        "SORT": str(source.sort),
        "SYSTEM": "Y" if source.is_system_name else "N",
        "CATEGORY_ID": None,
        "COLOR": None,
        "SEMANTICS": None,
    }


def _pipeline_of_entity(entity: str) -> Pipeline | None:
    entity = entity.upper()
    if entity == "STATUS":
        return lead_pipeline()
    if entity == "DEAL_STAGE":
        return default_deal_pipeline()
    if entity.startswith("DEAL_STAGE_"):
        return mapping.pipeline_of_category(entity.removeprefix("DEAL_STAGE_"))
    return None


def status_rows(entity: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if entity in (None, "", "SOURCE"):
        rows += [_source_row(s) for s in sources(active_only=False)]
    if entity:
        pipeline = _pipeline_of_entity(entity)
        pipelines = [pipeline] if pipeline else []
    else:
        pipelines = [lead_pipeline(), *deal_pipelines()]
    for pipeline in pipelines:
        rows += [_status_row(s, pipeline) for s in pipeline.stages.order_by("sort", "pk")]
    return rows


@method("crm.status.list")
def status_list(call: Call):
    filters = {str(k).upper().lstrip("="): v for k, v in mapping_param(call, "filter").items()}
    entity = str(filters.pop("ENTITY_ID", "") or "") or None
    rows = status_rows(entity)
    for key, value in filters.items():
        rows = [r for r in rows if str(r.get(key)) == str(value)]
    return Page(rows, total=len(rows))


@method("crm.status.get")
def status_get(call: Call):
    wanted = str(item_id(call))
    found = next(
        (row for row in status_rows(None) if row["ID"] == wanted and row["ENTITY_ID"] != "SOURCE"), None
    )
    if found is None:
        raise bad_argument("Not found")
    return found


@method("crm.status.entity.types")
def entity_types(call: Call):
    types = [
        {
            "ID": "STATUS",
            "NAME": "Lead statuses",
            "SEMANTIC_INFO": {
                "START_FIELD": "NEW",
                "FINAL_SUCCESS_FIELD": "CONVERTED",
                "FINAL_UNSUCCESS_FIELD": "JUNK",
            },
            "ENTITY_TYPE_ID": 1,
        },
        {"ID": "SOURCE", "NAME": "Sources"},
    ]
    for pipeline in deal_pipelines():
        entry = {"ID": _entity_of(pipeline), "NAME": f"Deal stages ({pipeline.title})", "ENTITY_TYPE_ID": 2}
        if not pipeline.is_default:
            entry |= {"PARENT_ID": "DEAL_STAGE", "CATEGORY_ID": pipeline.pk}
        types.append(entry)
    return types


@method("crm.status.entity.items")
def entity_items(call: Call):
    entity = str(param(call.params, "entityId") or "")
    if not entity:
        raise bad_argument("ENTITY_ID is not defined.")
    return [
        {"NAME": r["NAME"], "SORT": int(r["SORT"]), "STATUS_ID": r["STATUS_ID"]}
        for r in status_rows(entity.upper())
    ]


# --- crm.category.* and crm.dealcategory.* ----------------------------------------------------


def _entity_type(call: Call) -> int:
    raw = param(call.params, "entityTypeId")
    if str(raw) != "2":
        raise B24Error("NOT_FOUND", "Categories are supported for deals (entityTypeId 2) only.")
    return 2


def _category(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "id": mapping.category_id(pipeline),
        "name": pipeline.title,
        "sort": pipeline.sort,
        "entityTypeId": 2,
        "isDefault": "Y" if pipeline.is_default else "N",
        "originId": "",
        "originatorId": "",
    }


@method("crm.category.list", coded_errors=True)
def category_list(call: Call):
    _entity_type(call)
    rows = [_category(p) for p in deal_pipelines()]
    return Page({"categories": rows}, total=len(rows))


@method("crm.category.get", coded_errors=True)
def category_get(call: Call):
    _entity_type(call)
    return {"category": _category(mapping.pipeline_of_category(param(call.params, "id")))}


@method("crm.category.add", coded_errors=True)
def category_add(call: Call):
    _entity_type(call)
    fields = mapping_param(call, "fields", required=True)
    name = str(param(fields, "name") or "")
    return {"category": _category(pipeline_services.create_pipeline(name=name, actor=call.user))}


@method("crm.category.update", coded_errors=True)
def category_update(call: Call):
    _entity_type(call)
    pipeline = mapping.pipeline_of_category(param(call.params, "id"))
    name = param(mapping_param(call, "fields", required=True), "name")
    if name:
        pipeline = pipeline_services.rename_pipeline(pipeline, name=str(name), actor=call.user)
    return {"category": _category(pipeline)}


@method("crm.category.delete", coded_errors=True)
def category_delete(call: Call):
    _entity_type(call)
    pipeline_services.delete_pipeline(mapping.pipeline_of_category(param(call.params, "id")), actor=call.user)
    return []


def _deal_category(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "ID": str(pipeline.pk),
        "CREATED_DATE": iso(pipeline.created_at),
        "NAME": pipeline.title,
        "IS_LOCKED": "N",
        "SORT": str(pipeline.sort),
    }


@method("crm.dealcategory.list")
def dealcategory_list(call: Call):
    rows = [_deal_category(p) for p in deal_pipelines() if not p.is_default]
    return Page(rows, total=len(rows))


@method("crm.dealcategory.get")
def dealcategory_get(call: Call):
    pipeline = mapping.pipeline_of_category(item_id(call))
    if pipeline.is_default:
        raise bad_argument("Not found")
    return _deal_category(pipeline)


@method("crm.dealcategory.add")
def dealcategory_add(call: Call):
    name = str(param(mapping_param(call, "fields", required=True), "NAME") or "")
    return pipeline_services.create_pipeline(name=name, actor=call.user).pk


@method("crm.dealcategory.update")
def dealcategory_update(call: Call):
    pipeline = mapping.pipeline_of_category(item_id(call))
    name = param(mapping_param(call, "fields", required=True), "NAME")
    if name:
        pipeline_services.rename_pipeline(pipeline, name=str(name), actor=call.user)
    return True


@method("crm.dealcategory.delete")
def dealcategory_delete(call: Call):
    pipeline_services.delete_pipeline(mapping.pipeline_of_category(item_id(call)), actor=call.user)
    return True


@method("crm.dealcategory.default.get")
def dealcategory_default(call: Call):
    return {"ID": 0, "NAME": default_deal_pipeline().title}


@method("crm.dealcategory.status")
def dealcategory_status(call: Call):
    return _entity_of(mapping.pipeline_of_category(param(call.params, "id") or 0))


@method("crm.dealcategory.stage.list")
def dealcategory_stages(call: Call):
    pipeline = mapping.pipeline_of_category(param(call.params, "id") or 0)
    return [
        {"NAME": s.title, "SORT": s.sort, "STATUS_ID": mapping.stage_id(s, pipeline)}
        for s in pipeline.stages.order_by("sort", "pk")
    ]


# --- Product rows ---------------------------------------------------------------------------


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def product_row(row, kind: str) -> dict[str, Any]:
    discount = row.discount_rate or Decimal(0)
    tax = row.tax_rate or Decimal(0)
    exclusive = row.price * (1 - discount / 100)
    final = exclusive if row.tax_included or not tax else exclusive * (1 + tax / 100)
    brutto = row.price if row.tax_included or not tax else row.price * (1 + tax / 100)
    return {
        "ID": str(row.pk),
        "OWNER_ID": str(row.lead_id or row.deal_id),
        "OWNER_TYPE": "L" if kind == "lead" else "D",
        "PRODUCT_ID": row.product_id or 0,
        "PRODUCT_NAME": row.name,
        "ORIGINAL_PRODUCT_NAME": row.name,
        "PRODUCT_DESCRIPTION": None,
        "PRICE": _money(final),
        "PRICE_EXCLUSIVE": _money(exclusive),
        "PRICE_NETTO": _money(row.price),
        "PRICE_BRUTTO": _money(brutto),
        "PRICE_ACCOUNT": str(_money(final)),
        "QUANTITY": float(row.quantity),
        "DISCOUNT_TYPE_ID": 2,
        "DISCOUNT_RATE": float(discount),
        "DISCOUNT_SUM": _money(row.price - exclusive),
        "TAX_RATE": float(tax) if row.tax_rate is not None else None,
        "TAX_INCLUDED": "Y" if row.tax_included else "N",
        "CUSTOMIZED": "Y",
        "MEASURE_CODE": 796,
        "MEASURE_NAME": row.measure,
        "SORT": row.sort,
        "TYPE": 1,
        "STORE_ID": None,
    }


def _row_in(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_argument("Parameter 'rows' must be array.")
    raw = {str(k).upper(): v for k, v in raw.items()}
    discount = Decimal(str(raw.get("DISCOUNT_RATE") or 0))
    price = raw.get("PRICE_NETTO")
    if price in (None, ""):
        price = Decimal(str(raw.get("PRICE") or 0))
        if discount and discount < 100:
            price = price / (1 - discount / 100)
    return {
        "product": raw.get("PRODUCT_ID") or None,
        "name": raw.get("PRODUCT_NAME") or "",
        "price": price,
        "quantity": raw.get("QUANTITY"),
        "discount_rate": discount,
        "tax_rate": raw.get("TAX_RATE"),
        "tax_included": flag(raw.get("TAX_INCLUDED"), default=True),
        "measure": raw.get("MEASURE_NAME") or "",
        "sort": raw.get("SORT"),
    }


def _register_rows(kind: str) -> None:
    @method(f"crm.{kind}.productrows.get")
    def rows_get(call: Call):
        item = get_item(call, kind, item_id(call))
        return [product_row(r, kind) for r in item.product_rows.order_by("sort", "pk")]

    @method(f"crm.{kind}.productrows.set")
    def rows_set(call: Call):
        item = visible_item(call, kind, item_id(call))
        rows = [_row_in(r) for r in as_list(param(call.params, "rows"))]
        products.set_product_rows(item, rows, actor=call.user)
        return True


for _kind in ("lead", "deal"):
    _register_rows(_kind)


# --- Stage history, duplicates, timeline comments ---------------------------------------------

_HISTORY_FIELDS = {"ID": "pk", "OWNER_ID": None, "CREATED_TIME": "moved_at", "TYPE_ID": None}


@method("crm.stagehistory.list")
def stagehistory_list(call: Call):
    kind = mapping.KIND_OF_TYPE.get(int(param(call.params, "entityTypeId") or 0))
    if kind not in ("lead", "deal"):
        raise bad_argument("entityTypeId is not supported.")
    queryset = visible_stage_history(call.user, kind).select_related("pipeline")
    for key, value in mapping_param(call, "filter").items():
        name = str(key).lstrip("=<>!@").upper()
        prefix = str(key)[: len(str(key)) - len(name)]
        path = {"ID": "pk", "OWNER_ID": f"{kind}_id", "CREATED_TIME": "moved_at"}.get(name)
        if path is None:
            continue
        if name == "CREATED_TIME":
            value = mapping.parse_moment(value)
        lookup = {"": "", "=": "", ">": "__gt", ">=": "__gte", "<": "__lt", "<=": "__lte", "@": "__in"}.get(
            prefix, ""
        )
        if isinstance(value, list):
            lookup = "__in"
        queryset = queryset.filter(**{f"{path}{lookup}": value})
    descending = any(str(v).upper() == "DESC" for v in mapping_param(call, "order").values())
    queryset = queryset.order_by("-pk" if descending else "pk")
    status = "STATUS" if kind == "lead" else "STAGE"

    def render(entry) -> dict[str, Any]:
        type_id = 1 if entry.from_stage_id is None else (3 if entry.to_stage.closes_items else 2)
        row = {
            "ID": entry.pk,
            "TYPE_ID": type_id,
            "OWNER_ID": entry.lead_id or entry.deal_id,
            "CREATED_TIME": iso(entry.moved_at),
            f"{status}_SEMANTIC_ID": mapping.SEMANTIC[entry.to_stage.semantics],
            f"{status}_ID": mapping.stage_id(entry.to_stage, entry.pipeline),
        }
        if kind == "deal":
            row["CATEGORY_ID"] = mapping.category_id(entry.pipeline)
        # Voronka keeps what Bitrix24 does not: where from, who, and why.
        row["FROM_STAGE_ID"] = (
            mapping.stage_id(entry.from_stage, entry.pipeline) if entry.from_stage_id else None
        )
        row["MOVED_BY_ID"] = entry.moved_by_id
        row["REASON"] = entry.reason
        return row

    return page(call, queryset, render, classic=False, wrap="items")


@method("crm.duplicate.findbycomm")
def findbycomm(call: Call):
    kind = str(param(call.params, "type") or "").upper()
    values = [str(v) for v in as_list(param(call.params, "values"))]
    if kind not in ("PHONE", "EMAIL"):
        raise bad_argument("Communication type is not defined")
    if not values:
        raise bad_argument("Communication values is not defined")
    if len(values) > 20:
        raise bad_argument("Too many communication values (at most 20).")
    entity = str(param(call.params, "entity_type") or "").lower()
    kinds = (entity,) if entity in ("lead", "contact", "company") else ("lead", "contact", "company")
    matches = find_duplicates(
        phones=values if kind == "PHONE" else (),
        emails=values if kind == "EMAIL" else (),
        kinds=kinds,
        user=call.user,
        limit=100,
    )
    found: dict[str, list[int]] = {}
    for match in matches:
        found.setdefault(match.kind.upper(), []).append(match.item_id)
    return {key: sorted(ids) for key, ids in found.items()} or []


def _comment_row(entry, kind: str) -> dict[str, Any]:
    return {
        "ID": str(entry.pk),
        "ENTITY_ID": entry.lead_id or entry.deal_id or entry.contact_id or entry.company_id,
        "ENTITY_TYPE": kind,
        "CREATED": iso(entry.created_at),
        "COMMENT": entry.text,
        "AUTHOR_ID": str(entry.actor_id) if entry.actor_id else None,
        "FILES": [],
    }


def _owner(call: Call, fields: dict[str, Any]):
    kind = str(param(fields, "ENTITY_TYPE") or "").lower()
    if kind not in mapping.ENTITY_TYPE_IDS:
        raise bad_argument("ENTITY_TYPE is not defined or invalid.")
    try:
        owner_id = int(param(fields, "ENTITY_ID") or 0)
    except (TypeError, ValueError):
        owner_id = 0
    if owner_id <= 0:
        raise bad_argument("ENTITY_ID is not defined or invalid.")
    return kind, visible_item(call, kind, owner_id)


@method("crm.timeline.comment.add")
def comment_add(call: Call):
    _kind, item = _owner(call, mapping_param(call, "fields", required=True))
    text = param(mapping_param(call, "fields"), "COMMENT") or ""
    return timeline_services.add_comment(item, text=str(text), actor=call.user).pk


@method("crm.timeline.comment.list")
def comment_list(call: Call):
    kind, item = _owner(call, mapping_param(call, "filter", required=True))
    queryset = timeline(item).filter(kind="comment").order_by("pk")
    return page(call, queryset, lambda e: _comment_row(e, kind))


def _comment(call: Call):
    try:
        return get_visible_comment(call.user, item_id(call))
    except NotFound:
        raise bad_argument("Not found") from None


@method("crm.timeline.comment.get")
def comment_get(call: Call):
    kind, entry = _comment(call)
    return _comment_row(entry, kind)


@method("crm.timeline.comment.update")
def comment_update(call: Call):
    _kind, entry = _comment(call)
    text = param(mapping_param(call, "fields", required=True), "COMMENT") or ""
    timeline_services.update_comment(entry, text=str(text), actor=call.user)
    return True


@method("crm.timeline.comment.delete")
def comment_delete(call: Call):
    _kind, entry = _comment(call)
    timeline_services.delete_comment(entry, actor=call.user)
    return True


# --- crm.status.add / update / delete / fields ------------------------------------------------

_STATUS_SEMANTICS = {"": "open", "S": "won", "F": "lost"}


def _status_target(call: Call):
    """The stage or source a crm.status.* id names (ids are unique across both tables' rows)."""
    wanted = str(item_id(call))
    for row in status_rows(None):
        if row["ID"] == wanted:
            if row["ENTITY_ID"] == "SOURCE":
                return "SOURCE", next(s for s in sources(active_only=False) if str(s.pk) == wanted)
            pipeline = _pipeline_of_entity(row["ENTITY_ID"])
            return row["ENTITY_ID"], pipeline.stages.get(pk=int(wanted))
    raise bad_argument("Not found")


@method("crm.status.fields")
def status_fields(call: Call):
    names = (
        "ID",
        "ENTITY_ID",
        "STATUS_ID",
        "NAME",
        "NAME_INIT",
        "SORT",
        "SYSTEM",
        "CATEGORY_ID",
        "COLOR",
        "SEMANTICS",
        "EXTRA",
    )
    return {
        name: {
            "type": "integer" if name in ("ID", "SORT") else "string",
            "isRequired": name in ("ENTITY_ID", "STATUS_ID", "NAME"),
            "isReadOnly": name in ("ID", "NAME_INIT", "SYSTEM", "CATEGORY_ID", "EXTRA"),
            "isImmutable": name in ("ENTITY_ID", "STATUS_ID"),
            "isMultiple": False,
            "isDynamic": False,
            "title": name,
        }
        for name in names
    }


@method("crm.status.add")
def status_add(call: Call):
    fields = {str(k).upper(): v for k, v in mapping_param(call, "fields", required=True).items()}
    entity = str(fields.get("ENTITY_ID") or "").upper()
    name = str(fields.get("NAME") or "")
    code = str(fields.get("STATUS_ID") or "")
    if entity == "SOURCE":
        return pipeline_services.create_source(name=name, code=code, actor=call.user).pk
    pipeline = _pipeline_of_entity(entity) if entity else None
    if pipeline is None:
        raise bad_argument("ENTITY_ID is not defined or invalid.")
    code = code.split(":", 1)[1] if code.startswith("C") and ":" in code else code
    stage = pipeline_services.add_stage(
        pipeline,
        name=name,
        actor=call.user,
        code=code,
        color=str(fields.get("COLOR") or ""),
        semantics=_STATUS_SEMANTICS.get(str(fields.get("SEMANTICS") or "").upper(), "open"),
    )
    return stage.pk


@method("crm.status.update")
def status_update(call: Call):
    entity, target = _status_target(call)
    fields = {str(k).upper(): v for k, v in mapping_param(call, "fields", required=True).items()}
    if entity == "SOURCE":
        pipeline_services.update_source(target, actor=call.user, name=fields.get("NAME") or None)
    else:
        pipeline_services.update_stage(
            target, actor=call.user, name=fields.get("NAME") or None, color=fields.get("COLOR") or None
        )
    return True


@method("crm.status.delete")
def status_delete(call: Call):
    entity, target = _status_target(call)
    if entity == "SOURCE":
        pipeline_services.update_source(target, actor=call.user, is_active=False)
    else:
        pipeline_services.delete_stage(target, actor=call.user)
    return True
