"""crm.activity.*: activities (дела) of leads, deals, contacts and companies."""

from typing import Any

from voronka.activities.selectors import get_visible_activity, visible_activities
from voronka.activities.services.activities import (
    complete_activity,
    create_activity,
    delete_activity,
    reschedule_activity,
    update_activity,
)
from voronka.b24 import mapping
from voronka.b24.methods.common import item_id, mapping_param, page, visible_item
from voronka.b24.parsing import flag, param
from voronka.b24.protocol import Call, bad_argument, iso, method
from voronka.lib.errors import NotFound

TYPE_IDS = {"meeting": 1, "call": 2, "task": 3, "email": 4, "sms": 6}
KIND_OF = {v: k for k, v in TYPE_IDS.items()}
DIRECTIONS = {"": 0, "incoming": 1, "outgoing": 2}
DIRECTION_OF = {1: "incoming", 2: "outgoing"}
_FILTERS = {
    "ID": "pk",
    "RESPONSIBLE_ID": "assigned_to_id",
    "COMPLETED": "is_done",
    "TYPE_ID": "kind",
    "DEADLINE": "deadline",
    "CREATED": "created_at",
}


def _owner(activity) -> tuple[int, int]:
    for kind, type_id in mapping.ENTITY_TYPE_IDS.items():
        owner_id = getattr(activity, f"{kind}_id")
        if owner_id:
            return type_id, owner_id
    return 0, 0


def activity_row(activity) -> dict[str, Any]:
    owner_type, owner_id = _owner(activity)
    return {
        "ID": str(activity.pk),
        "OWNER_ID": str(owner_id),
        "OWNER_TYPE_ID": str(owner_type),
        "TYPE_ID": str(TYPE_IDS.get(activity.kind, 6)),
        "PROVIDER_ID": "CRM_" + activity.kind.upper(),
        "SUBJECT": activity.subject,
        "DESCRIPTION": activity.description or None,
        "DESCRIPTION_TYPE": "1",
        "START_TIME": iso(activity.deadline),
        "END_TIME": iso(activity.deadline + activity.duration if activity.duration else activity.deadline),
        "DEADLINE": iso(activity.deadline),
        "COMPLETED": "Y" if activity.is_done else "N",
        "STATUS": "2" if activity.is_done else "1",
        "RESPONSIBLE_ID": str(activity.assigned_to_id),
        "PRIORITY": str(activity.priority),
        "DIRECTION": str(DIRECTIONS.get(activity.direction, 0)),
        "AUTHOR_ID": str(activity.created_by_id) if activity.created_by_id else None,
        "CREATED": iso(activity.created_at),
        "LAST_UPDATED": iso(activity.updated_at),
        "RESULT_TEXT": activity.result or None,
    }


def _activity(call: Call):
    try:
        return get_visible_activity(call.user, item_id(call))
    except NotFound:
        raise bad_argument("Not found") from None


def _owner_item(call: Call, fields: dict[str, Any]):
    kind = mapping.KIND_OF_TYPE.get(int(param(fields, "OWNER_TYPE_ID") or 0))
    if kind is None:
        raise bad_argument("OWNER_TYPE_ID is not defined or invalid.")
    try:
        owner_id = int(param(fields, "OWNER_ID") or 0)
    except (TypeError, ValueError):
        owner_id = 0
    if owner_id <= 0:
        raise bad_argument("OWNER_ID is not defined or invalid.")
    return visible_item(call, kind, owner_id)


def _common_values(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "SUBJECT" in fields:
        values["subject"] = fields["SUBJECT"]
    if "DESCRIPTION" in fields:
        values["description"] = fields["DESCRIPTION"] or ""
    if fields.get("PRIORITY") not in (None, ""):
        values["priority"] = int(fields["PRIORITY"])
    if fields.get("DIRECTION") not in (None, ""):
        values["direction"] = DIRECTION_OF.get(int(fields["DIRECTION"]), "")
    if fields.get("RESPONSIBLE_ID") not in (None, ""):
        values["assigned_to"] = int(fields["RESPONSIBLE_ID"])
    return values


@method("crm.activity.fields")
def activity_fields(call: Call):
    return {
        name: {
            "type": kind,
            "isRequired": name in ("SUBJECT", "TYPE_ID", "OWNER_ID", "OWNER_TYPE_ID"),
            "isReadOnly": name in ("ID", "CREATED", "LAST_UPDATED", "AUTHOR_ID"),
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": False,
            "title": name,
        }
        for name, kind in (
            ("ID", "integer"),
            ("OWNER_ID", "integer"),
            ("OWNER_TYPE_ID", "integer"),
            ("TYPE_ID", "integer"),
            ("SUBJECT", "string"),
            ("DESCRIPTION", "string"),
            ("START_TIME", "datetime"),
            ("END_TIME", "datetime"),
            ("DEADLINE", "datetime"),
            ("COMPLETED", "char"),
            ("RESPONSIBLE_ID", "user"),
            ("PRIORITY", "integer"),
            ("DIRECTION", "integer"),
            ("AUTHOR_ID", "user"),
            ("CREATED", "datetime"),
            ("LAST_UPDATED", "datetime"),
        )
    }


@method("crm.activity.add")
def activity_add(call: Call):
    fields = {str(k).upper(): v for k, v in mapping_param(call, "fields", required=True).items()}
    item = _owner_item(call, fields)
    kind = KIND_OF.get(int(fields.get("TYPE_ID") or 3), "task")
    deadline = fields.get("DEADLINE") or fields.get("END_TIME") or fields.get("START_TIME")
    if not deadline:
        raise bad_argument("DEADLINE, START_TIME or END_TIME is required.")
    activity = create_activity(
        item,
        kind=kind,
        actor=call.user,
        deadline=mapping.parse_moment(deadline),
        is_done=flag(fields.get("COMPLETED")),
        **_common_values(fields),
    )
    return activity.pk


@method("crm.activity.get")
def activity_get(call: Call):
    return activity_row(_activity(call))


@method("crm.activity.list")
def activity_list(call: Call):
    queryset = visible_activities(call.user)
    filters = {str(k).upper(): v for k, v in mapping_param(call, "filter").items()}
    owner_type = filters.pop("OWNER_TYPE_ID", None)
    owner_id = filters.pop("OWNER_ID", None)
    if owner_type not in (None, ""):
        kind = mapping.KIND_OF_TYPE.get(int(owner_type))
        queryset = queryset.filter(**{f"{kind}__isnull": False}) if kind else queryset.none()
        if owner_id not in (None, "") and kind:
            queryset = queryset.filter(**{f"{kind}_id": int(owner_id)})
    for key, value in filters.items():
        prefix = key[: len(key) - len(key.lstrip("=<>!@%"))]
        name = key[len(prefix) :]
        path = _FILTERS.get(name)
        if path is None:
            continue
        if name == "COMPLETED":
            value = flag(value)
        elif name == "TYPE_ID":
            value = KIND_OF.get(int(value), "")
        elif name in ("DEADLINE", "CREATED"):
            value = mapping.parse_moment(value)
        lookup = {">": "__gt", ">=": "__gte", "<": "__lt", "<=": "__lte", "@": "__in"}.get(
            prefix.lstrip("="), ""
        )
        condition = {f"{path}{'__in' if isinstance(value, list) else lookup}": value}
        queryset = queryset.exclude(**condition) if prefix.startswith("!") else queryset.filter(**condition)
    descending = any(str(v).upper() == "DESC" for v in mapping_param(call, "order").values())
    return page(call, queryset.order_by("-pk" if descending else "pk"), activity_row)


@method("crm.activity.update")
def activity_update(call: Call):
    activity = _activity(call)
    fields = {str(k).upper(): v for k, v in mapping_param(call, "fields", required=True).items()}
    values = _common_values(fields)
    if values:
        activity = update_activity(activity, actor=call.user, **values)
    deadline = fields.get("DEADLINE") or fields.get("END_TIME")
    if deadline and not activity.is_done:
        activity = reschedule_activity(activity, deadline=mapping.parse_moment(deadline), actor=call.user)
    if flag(fields.get("COMPLETED")) and not activity.is_done:
        complete_activity(activity, actor=call.user, result=str(fields.get("RESULT_TEXT") or ""))
    return True


@method("crm.activity.delete")
def activity_delete(call: Call):
    delete_activity(_activity(call), actor=call.user)
    return True
