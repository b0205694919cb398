"""What the routers of leads, deals, contacts and companies share (not a router itself).

Each helper resolves what the request names through selectors (so anything outside the
user's scope is "not found"), calls one service, and renders the answer.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action
from voronka.api.pagination import PageParams, item_filter, page_body, selected_fields
from voronka.api.schemas.common import Serializer
from voronka.api.schemas.items import history_dict, product_row_dict, timeline_dict
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.selectors.history import stage_history, timeline
from voronka.crm.selectors.items import get_visible, visible
from voronka.crm.selectors.lists import item_page, keyset_page, row_of
from voronka.crm.selectors.pipelines import get_pipeline, get_stage, resolve_stage
from voronka.crm.services import recycle
from voronka.crm.services import timeline as timeline_service
from voronka.crm.services.batch import create_many
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.crm.services.products import set_product_rows
from voronka.lib.errors import DomainError, Invalid, NotFound
from voronka.webhooks.selectors import one_read_of_subscriptions

KIND_NAMES = {"lead": "leads", "deal": "deals", "contact": "contacts", "company": "companies"}


def respond(data: Any, status: int = 200) -> HttpResponse:
    """Return `data` as a JSON answer."""
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


# --- reading ----------------------------------------------------------------------------------
def list_items(request: HttpRequest, kind: str, filters, page: PageParams, serializer: Serializer):
    """Answer a filtered, sorted keyset page of the items the user may see."""
    fields = selected_fields(kind, serializer, page.fields)
    spec = item_filter(kind, filters)
    wants_comms = fields is None or any(
        name in fields for name in ("phones", "emails", "messengers", "websites")
    )
    result = item_page(
        visible(request.auth, kind),
        kind,
        spec,
        sort=page.sort,
        cursor=page.cursor,
        limit=page.limit,
        communications=wants_comms,
    )
    return respond(page_body(result, serializer, fields))


def get_item(request: HttpRequest, kind: str, item_id: int, action: str = Action.READ):
    """Return an item the user may see (NotFound otherwise)."""
    return get_visible(request.auth, kind, item_id, action)


def show(item, serializer: Serializer, status: int = 200, **extra: Any) -> HttpResponse:
    return respond({**serializer.one(row_of(item)), **extra}, status=status)


def history_of(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    return respond({"items": [history_dict(row) for row in stage_history(item)]})


def timeline_of(
    request: HttpRequest, kind: str, item_id: int, *, cursor: str | None, limit: int
) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    page = keyset_page(timeline(item), "entries", sort="-id", cursor=cursor, limit=limit)
    return respond({"items": [timeline_dict(entry) for entry in page.items], "next_cursor": page.next_cursor})


def comment_on(request: HttpRequest, kind: str, item_id: int, text: str) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    entry = timeline_service.add_comment(item, text=text, actor=request.auth)
    return respond(timeline_dict(entry), status=201)


def product_rows_of(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    return respond({"items": [product_row_dict(row) for row in item.product_rows.order_by("sort", "pk")]})


def replace_product_rows(request: HttpRequest, kind: str, item_id: int, rows: list[dict]) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    item = set_product_rows(item, rows, actor=request.auth)
    return respond({"items": [product_row_dict(row) for row in item.product_rows.order_by("sort", "pk")]})


def delete_item(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    item = get_visible(request.auth, kind, item_id)
    recycle.delete_item(item, actor=request.auth)
    return no_content()


# --- writing ----------------------------------------------------------------------------------
def optional_stage(pipeline, stage_id: int | None, stage: str | None):
    """Return the stage of `pipeline` named by `stage_id` or `stage` (code or id), or None."""
    reference = stage_id if stage_id is not None else stage
    return resolve_stage(pipeline, reference) if reference not in (None, "") else None


def body_pipeline(pipeline_id: int | None, *, kind: str = "deal", field: str = "pipeline_id"):
    """Return the pipeline a request body names, or raise Invalid."""
    if pipeline_id is None:
        return None
    try:
        return get_pipeline(pipeline_id, kind=kind)
    except NotFound:
        raise Invalid(
            "pipeline.unknown", _("There is no such pipeline."), details={field: _("Unknown.")}
        ) from None


def any_deal_stage(stage_id: int):
    """Return a stage of any deal pipeline by id, or raise Invalid."""
    try:
        stage = get_stage(stage_id)
    except NotFound:
        stage = None
    if stage is None or stage.pipeline.kind != "deal":
        raise Invalid("stage.unknown", _("There is no such deal stage."), details={"stage_id": _("Unknown.")})
    return stage


def required_stage(pipeline, stage_id: int | None, stage: str | None):
    """Return the stage of `pipeline` a request names; refuse a request that names none."""
    found = optional_stage(pipeline, stage_id, stage)
    if found is None:
        raise Invalid(
            "stage.required",
            _("Name the target stage: `stage_id` or `stage`."),
            details={"stage": _("Required.")},
        )
    return found


_LINKS = {"contact_id": "contact", "company_id": "company"}
_RENAMES = {"assigned_to_id": "assigned_to", "source_id": "source", "product_id": "product"}


def service_values(request: HttpRequest, values: dict[str, Any]) -> dict[str, Any]:
    """Turn API field names into the services' arguments; linked clients must be visible."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        if name in _LINKS:
            result[_LINKS[name]] = linked(request, _LINKS[name], value, field=name)
        elif name in _RENAMES:
            if value is not None or _RENAMES[name] not in result:
                result[_RENAMES[name]] = value
        else:
            result[name] = value
    return result


_UNKNOWN_LINK = {"contact": _("There is no contact #%(id)s."), "company": _("There is no company #%(id)s.")}


def linked(request: HttpRequest, kind: str, item_id: int | None, *, field: str):
    """Return a client named in a request body, or raise Invalid if the user cannot see it."""
    if item_id is None:
        return None
    try:
        return get_visible(request.auth, kind, item_id)
    except NotFound:
        raise Invalid(
            "link.unknown", _UNKNOWN_LINK[kind] % {"id": item_id}, details={field: _("Unknown.")}
        ) from None


def duplicates_of(request: HttpRequest, kind: str, item, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the existing items (that the user may see) sharing a phone, e-mail or company name."""
    if kind == "deal":
        return []
    phones = _comm_values(values.get("phones"))
    emails = _comm_values(values.get("emails"))
    company = values.get("company_title" if kind == "lead" else "title", "") if kind != "contact" else ""
    if not (phones or emails or company):
        return []
    kinds = ("lead", "contact", "company") if kind == "lead" else ("contact", "company")
    matches = find_duplicates(
        phones=phones,
        emails=emails,
        company_title=company or "",
        kinds=kinds,
        exclude=(kind, item.pk),
        user=request.auth,
    )
    return [match.as_dict() for match in matches]


def _comm_values(raw: Iterable | None) -> list[str]:
    values = []
    for value in raw or []:
        values.append(value.get("value", "") if isinstance(value, dict) else str(value))
    return [value for value in values if value]


def existing_ids(request: HttpRequest, kind: str, values: dict[str, Any], policy: str) -> set[int]:
    """Ids of the items a SKIP or MERGE create could return instead of creating one."""
    if policy not in (DuplicatePolicy.SKIP, DuplicatePolicy.MERGE) or kind == "deal":
        return set()
    company = values.get("company_title" if kind == "lead" else "title", "") if kind != "contact" else ""
    matches = find_duplicates(
        phones=_comm_values(values.get("phones")),
        emails=_comm_values(values.get("emails")),
        company_title=company or "",
        kinds=(kind,),
        user=request.auth,
    )
    return {match.item_id for match in matches}


def created_answer(
    request: HttpRequest,
    kind: str,
    item,
    values: dict[str, Any],
    serializer: Serializer,
    *,
    known: set[int],
) -> dict[str, Any]:
    """The body of a create: the item, whether it is new, and its possible duplicates."""
    created = item.pk not in known
    # A lead created under REFUSE had no duplicate at all (the service refuses any match, even
    # one outside the user's scope, and compares with the same kinds): nothing to look up again.
    refused_any = kind == "lead" and values.get("on_duplicate") == DuplicatePolicy.REFUSE
    return {
        **serializer.one(row_of(item)),
        "created": created,
        "duplicates": duplicates_of(request, kind, item, values) if created and not refused_any else [],
    }


class _Undo(Exception):
    """Raised to roll a bulk create back once every item was checked."""


def bulk_create(
    request: HttpRequest,
    kind: str,
    payloads: list,
    prepare: Callable[[HttpRequest, Any], dict[str, Any]],
    serializer: Serializer,
) -> HttpResponse:
    """Create every item or none; a refusal lists every failed item by its index."""
    errors: dict[str, Any] = {}
    prepared: list[tuple[int, dict[str, Any]]] = []
    for index, payload in enumerate(payloads):
        try:
            prepared.append((index, prepare(request, payload)))
        except DomainError as error:
            errors[str(index)] = {"code": error.code, "message": str(error.message), "details": error.details}
    known = [existing_ids(request, kind, values, values.get("on_duplicate", "")) for _i, values in prepared]
    try:
        with one_read_of_subscriptions(), transaction.atomic():
            items = (
                create_many(kind, [values for _index, values in prepared], actor=request.auth)
                if prepared
                else []
            )
            if errors:
                # Every item was checked by its service; none of them may stay.
                raise _Undo
    except Invalid as refusal:
        if refusal.code != "bulk.rejected":
            raise
        for position, error in refusal.details["errors"].items():
            errors[str(prepared[int(position)][0])] = error
    except _Undo:
        pass
    if errors:
        raise Invalid(
            "bulk.rejected",
            _("%(count)d of %(total)d items are refused; nothing was created.")
            % {"count": len(errors), "total": len(payloads)},
            details={"errors": dict(sorted(errors.items(), key=lambda pair: int(pair[0])))},
        )
    answers = [
        created_answer(request, kind, item, values, serializer, known=ids)
        for item, (_index, values), ids in zip(items, prepared, known, strict=True)
    ]
    return respond({"items": answers}, status=201)
