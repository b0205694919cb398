"""Bitrix24 field names and value shapes ⇄ Voronka's items.

Reading: `row(kind, item, select)` gives the classic PHP-style dict (strings, "Y"/"N", ISO
datetimes with offset, null for empty text). Writing: `arguments(kind, fields)` turns
Bitrix24 `fields` into the keyword arguments of the crm services. Filters and orders map
Bitrix24 names to ORM lookups.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from voronka.b24.parsing import as_list, flag
from voronka.b24.protocol import bad_argument, iso
from voronka.crm.models import Pipeline, Stage
from voronka.crm.selectors.pipelines import default_deal_pipeline, get_pipeline, lead_pipeline
from voronka.lib.emails import try_normalize_email
from voronka.lib.errors import Invalid, NotFound
from voronka.lib.phones import try_normalize_phone

ENTITY_TYPE_IDS = {"lead": 1, "deal": 2, "contact": 3, "company": 4}
KIND_OF_TYPE = {v: k for k, v in ENTITY_TYPE_IDS.items()}
MULTI = {"PHONE": "phone", "EMAIL": "email", "WEB": "web", "IM": "messenger"}
MULTI_ARGUMENT = {"PHONE": "phones", "EMAIL": "emails", "WEB": "websites", "IM": "messengers"}
SEMANTIC = {"open": "P", "won": "S", "lost": "F"}
SEMANTIC_BACK = {"P": "open", "S": "won", "F": "lost"}
UTM = ("UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM")
_PREFIXED_STAGE = re.compile(r"^C(\d+):(.+)$")
_LABELS = {
    "work",
    "mobile",
    "home",
    "fax",
    "mailing",
    "telegram",
    "whatsapp",
    "viber",
    "vk",
    "skype",
    "other",
}


# --- Values -------------------------------------------------------------------------------


def text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def number(value: Any) -> str:
    return "0" if value is None else str(value)


def ident(value: Any) -> str | None:
    return None if value is None else str(value)


def yn(value: Any) -> str:
    return "Y" if value else "N"


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def moment(value: dt.datetime | None) -> str:
    return iso(value) if value else ""


def day(value: dt.date | None) -> str:
    if value is None:
        return ""
    return iso(timezone.make_aware(dt.datetime.combine(value, dt.time())))


def parse_moment(raw: Any) -> dt.datetime | None:
    """Read a Bitrix24 date or datetime value."""
    if raw in (None, ""):
        return None
    textual = str(raw).strip()
    found = parse_datetime(textual.replace(" ", "T", 1)) if len(textual) > 10 else None
    if found is None:
        date = parse_date(textual[:10])
        if date is None:
            raise bad_argument(f"“{raw}” is not a date.")
        found = dt.datetime.combine(date, dt.time())
    return found if timezone.is_aware(found) else timezone.make_aware(found)


# --- Stages and categories ----------------------------------------------------------------


def category_id(pipeline: Pipeline) -> int:
    """Bitrix24 numbers the default deal pipeline 0."""
    return 0 if pipeline.is_default else pipeline.pk


def pipeline_of_category(raw: Any) -> Pipeline:
    try:
        number_ = int(raw or 0)
    except (TypeError, ValueError):
        raise bad_argument(f"Unknown CATEGORY_ID “{raw}”.") from None
    if number_ == 0:
        return default_deal_pipeline()
    try:
        return get_pipeline(number_, kind=Pipeline.Kind.DEAL)
    except NotFound:
        raise bad_argument(f"Unknown CATEGORY_ID “{raw}”.") from None


def stage_id(stage: Stage, pipeline: Pipeline | None = None) -> str:
    """STATUS_ID / STAGE_ID of a stage: "NEW", or "C3:NEW" outside the default deal pipeline."""
    pipeline = pipeline or stage.pipeline
    if pipeline.kind == Pipeline.Kind.LEAD or pipeline.is_default or _PREFIXED_STAGE.match(stage.code):
        return stage.code
    return f"C{pipeline.pk}:{stage.code}"


def find_stage(kind: str, raw: Any, pipeline: Pipeline | None = None) -> Stage:
    """Return the lead status or deal stage named by a Bitrix24 id ("NEW", "C3:WON")."""
    code = str(raw or "").strip()
    if kind == "lead":
        pipeline = lead_pipeline()
    else:
        prefixed = _PREFIXED_STAGE.match(code)
        if prefixed and pipeline is None:
            pipeline = pipeline_of_category(prefixed.group(1))
        pipeline = pipeline or default_deal_pipeline()
        stage = pipeline.stages.filter(code=code).first()
        if stage is not None:
            return stage
        if prefixed:
            code = prefixed.group(2)
    stage = pipeline.stages.filter(code__iexact=code).first()
    if stage is None:
        field = "STATUS_ID" if kind == "lead" else "STAGE_ID"
        raise bad_argument(f"Unknown {field} “{raw}”.")
    return stage


# --- Fields -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One Bitrix24 field: how it reads, its ORM path (filter/order), its service argument."""

    name: str
    type: str
    read: Callable[[Any], Any]
    orm: str | None = None
    argument: str | None = None
    readonly: bool = False
    title: str = ""
    status_type: str | None = None


def _person() -> list[Field]:
    return [
        Field("NAME", "string", lambda i: text(i.first_name), "first_name", "first_name", title="Name"),
        Field(
            "SECOND_NAME",
            "string",
            lambda i: text(i.second_name),
            "second_name",
            "second_name",
            title="Second name",
        ),
        Field(
            "LAST_NAME", "string", lambda i: text(i.last_name), "last_name", "last_name", title="Last name"
        ),
        Field("POST", "string", lambda i: text(i.position), "position", "position", title="Position"),
    ]


def _common() -> list[Field]:
    return [
        Field("ID", "integer", lambda i: str(i.pk), "pk", readonly=True, title="ID"),
        Field(
            "SOURCE_ID",
            "crm_status",
            lambda i: i.source.code if i.source_id else None,
            "source__code",
            "source",
            title="Source",
            status_type="SOURCE",
        ),
        Field(
            "SOURCE_DESCRIPTION",
            "string",
            lambda i: text(i.source_description),
            "source_description",
            "source_description",
            title="Source information",
        ),
        Field("COMMENTS", "string", lambda i: text(i.comments), "comments", "comments", title="Comment"),
        Field(
            "ASSIGNED_BY_ID",
            "user",
            lambda i: ident(i.assigned_to_id),
            "assigned_to_id",
            "assigned_to",
            title="Responsible person",
        ),
        Field(
            "CREATED_BY_ID",
            "user",
            lambda i: ident(i.created_by_id),
            "created_by_id",
            readonly=True,
            title="Created by",
        ),
        Field(
            "MODIFY_BY_ID", "user", lambda i: ident(i.created_by_id), None, readonly=True, title="Modified by"
        ),
        Field(
            "DATE_CREATE",
            "datetime",
            lambda i: moment(i.created_at),
            "created_at",
            readonly=True,
            title="Created on",
        ),
        Field(
            "DATE_MODIFY",
            "datetime",
            lambda i: moment(i.updated_at),
            "updated_at",
            readonly=True,
            title="Modified on",
        ),
        Field("OPENED", "char", lambda i: "Y", None, title="Available to everyone"),
    ]


def _moved() -> list[Field]:
    """When a lead or deal last changed its stage (who moved it is not kept on the item)."""
    return [
        Field(
            "MOVED_TIME",
            "datetime",
            lambda i: moment(i.stage_changed_at),
            "stage_changed_at",
            readonly=True,
            title="Moved on",
        ),
        Field("MOVED_BY_ID", "user", lambda i: None, None, readonly=True, title="Moved by"),
    ]


def _utm() -> list[Field]:
    return [
        Field(
            name,
            "string",
            (lambda key: lambda i: text((i.utm or {}).get(key)))(name.lower()),
            None,
            title=name,
        )
        for name in UTM
    ]


def _multi() -> list[Field]:
    return [Field(name, "crm_multifield", lambda i: None, None, name, title=name.title()) for name in MULTI]


def _has(kind: str) -> Callable[[Any], str]:
    return lambda item: yn(any(c.kind == kind for c in item.communications.all()))


LEAD = [
    *_common(),
    Field("TITLE", "string", lambda i: text(i.title), "title", "title", title="Lead name"),
    *_person(),
    Field("HONORIFIC", "crm_status", lambda i: None, None, title="Salutation", status_type="HONORIFIC"),
    Field("BIRTHDATE", "date", lambda i: "", None, title="Date of birth"),
    Field(
        "COMPANY_TITLE",
        "string",
        lambda i: text(i.company_title),
        "company_title",
        "company_title",
        title="Company name",
    ),
    Field(
        "STATUS_ID",
        "crm_status",
        lambda i: i.status.code,
        "status__code",
        title="Status",
        status_type="STATUS",
    ),
    Field("STATUS_DESCRIPTION", "string", lambda i: None, None, title="Status information"),
    Field(
        "STATUS_SEMANTIC_ID",
        "string",
        lambda i: SEMANTIC[i.status.semantics],
        "status__semantics",
        readonly=True,
        title="Status semantics",
    ),
    Field("CURRENCY_ID", "crm_currency", lambda i: i.currency, "currency", "currency", title="Currency"),
    Field("OPPORTUNITY", "double", lambda i: money(i.amount), "amount", "amount", title="Total"),
    Field("IS_MANUAL_OPPORTUNITY", "char", lambda i: "Y", None, title="Manual amount"),
    Field("ADDRESS", "string", lambda i: text(i.address), "address", "address", title="Address"),
    Field("HAS_PHONE", "char", _has("phone"), None, readonly=True, title="Has phone"),
    Field("HAS_EMAIL", "char", _has("email"), None, readonly=True, title="Has email"),
    Field("HAS_IMOL", "char", lambda i: "N", None, readonly=True, title="Has Open Channel"),
    Field(
        "COMPANY_ID", "crm_company", lambda i: ident(i.company_id), "company_id", "company", title="Company"
    ),
    Field(
        "CONTACT_ID", "crm_contact", lambda i: ident(i.contact_id), "contact_id", "contact", title="Contact"
    ),
    Field(
        "IS_RETURN_CUSTOMER",
        "char",
        lambda i: yn(i.is_repeat),
        "is_repeat",
        readonly=True,
        title="Repeat lead",
    ),
    Field(
        "DATE_CLOSED", "datetime", lambda i: moment(i.closed_at), "closed_at", readonly=True, title="Closed"
    ),
    *_moved(),
    *_utm(),
    *_multi(),
]

DEAL = [
    *_common(),
    Field("TITLE", "string", lambda i: text(i.title), "title", "title", title="Name"),
    Field("TYPE_ID", "crm_status", lambda i: "SALE", None, title="Type", status_type="DEAL_TYPE"),
    Field(
        "CATEGORY_ID", "crm_category", lambda i: str(category_id(i.pipeline)), "pipeline_id", title="Pipeline"
    ),
    Field(
        "STAGE_ID",
        "crm_status",
        lambda i: stage_id(i.stage, i.pipeline),
        "stage__code",
        title="Stage",
        status_type="DEAL_STAGE",
    ),
    Field(
        "STAGE_SEMANTIC_ID",
        "string",
        lambda i: SEMANTIC[i.stage.semantics],
        "stage__semantics",
        readonly=True,
        title="Stage semantics",
    ),
    Field(
        "IS_NEW",
        "char",
        lambda i: yn(i.stage.sort == min(s.sort for s in i.pipeline.stages.all())),
        None,
        readonly=True,
        title="New deal",
    ),
    Field(
        "PROBABILITY",
        "integer",
        lambda i: ident(i.probability),
        "probability",
        "probability",
        title="Probability",
    ),
    Field("CURRENCY_ID", "crm_currency", lambda i: i.currency, "currency", "currency", title="Currency"),
    Field("OPPORTUNITY", "double", lambda i: money(i.amount), "amount", "amount", title="Amount"),
    Field("IS_MANUAL_OPPORTUNITY", "char", lambda i: "Y", None, title="Manual amount"),
    Field("TAX_VALUE", "double", lambda i: "0.00", None, title="Tax rate"),
    Field(
        "COMPANY_ID", "crm_company", lambda i: number(i.company_id), "company_id", "company", title="Company"
    ),
    Field(
        "CONTACT_ID", "crm_contact", lambda i: ident(i.contact_id), "contact_id", "contact", title="Contact"
    ),
    Field(
        "CONTACT_IDS", "crm_contact", lambda i: [i.contact_id] if i.contact_id else [], None, title="Contacts"
    ),
    Field(
        "BEGINDATE",
        "date",
        lambda i: day(timezone.localdate(i.created_at)),
        None,
        readonly=True,
        title="Start date",
    ),
    Field(
        "CLOSEDATE",
        "date",
        lambda i: day(i.close_date),
        "close_date",
        "close_date",
        title="Estimated close date",
    ),
    Field("CLOSED", "char", lambda i: yn(i.is_closed), "is_closed", readonly=True, title="Closed"),
    Field("LEAD_ID", "crm_lead", lambda i: ident(i.lead_id), "lead_id", readonly=True, title="Lead"),
    Field(
        "IS_RETURN_CUSTOMER",
        "char",
        lambda i: yn(i.is_repeat),
        "is_repeat",
        readonly=True,
        title="Repeat deal",
    ),
    *_moved(),
    *_utm(),
]

CONTACT = [
    *_common(),
    *_person(),
    Field("HONORIFIC", "crm_status", lambda i: None, None, title="Salutation", status_type="HONORIFIC"),
    Field("BIRTHDATE", "date", lambda i: day(i.birthdate), "birthdate", "birthdate", title="Date of birth"),
    Field(
        "TYPE_ID", "crm_status", lambda i: "CLIENT", None, title="Contact type", status_type="CONTACT_TYPE"
    ),
    Field(
        "COMPANY_ID", "crm_company", lambda i: ident(i.company_id), "company_id", "company", title="Company"
    ),
    Field("ADDRESS", "string", lambda i: text(i.address), "address", "address", title="Address"),
    Field("LEAD_ID", "crm_lead", lambda i: ident(i.lead_id), "lead_id", readonly=True, title="Lead"),
    Field("EXPORT", "char", lambda i: "Y", None, title="Included in export"),
    Field("HAS_PHONE", "char", _has("phone"), None, readonly=True, title="Has phone"),
    Field("HAS_EMAIL", "char", _has("email"), None, readonly=True, title="Has email"),
    Field("HAS_IMOL", "char", lambda i: "N", None, readonly=True, title="Has Open Channel"),
    *_multi(),
]

COMPANY = [
    *_common(),
    Field("TITLE", "string", lambda i: text(i.title), "title", "title", title="Company name"),
    Field(
        "COMPANY_TYPE",
        "crm_status",
        lambda i: "CUSTOMER",
        None,
        title="Company type",
        status_type="COMPANY_TYPE",
    ),
    Field(
        "INDUSTRY",
        "crm_status",
        lambda i: text(i.industry),
        "industry",
        "industry",
        title="Industry",
        status_type="INDUSTRY",
    ),
    Field(
        "EMPLOYEES",
        "crm_status",
        lambda i: text(i.employees),
        "employees",
        "employees",
        title="Employees",
        status_type="EMPLOYEES",
    ),
    Field("REVENUE", "double", lambda i: money(i.revenue), "revenue", "revenue", title="Annual revenue"),
    Field(
        "CURRENCY_ID", "crm_currency", lambda i: text(i.currency), "currency", "currency", title="Currency"
    ),
    Field("ADDRESS", "string", lambda i: text(i.address), "address", "address", title="Address"),
    Field("LEAD_ID", "crm_lead", lambda i: ident(i.lead_id), "lead_id", readonly=True, title="Lead"),
    Field("HAS_PHONE", "char", _has("phone"), None, readonly=True, title="Has phone"),
    Field("HAS_EMAIL", "char", _has("email"), None, readonly=True, title="Has email"),
    Field("HAS_IMOL", "char", lambda i: "N", None, readonly=True, title="Has Open Channel"),
    *_multi(),
]

FIELDS: dict[str, dict[str, Field]] = {
    kind: {f.name: f for f in spec}
    for kind, spec in (("lead", LEAD), ("deal", DEAL), ("contact", CONTACT), ("company", COMPANY))
}


# --- Reading ------------------------------------------------------------------------------


def multifields(item, name: str) -> list[dict[str, str]]:
    """PHONE / EMAIL / WEB / IM of an item (communications prefetched or read)."""
    kind = MULTI[name]
    return [
        {"ID": str(c.pk), "VALUE_TYPE": c.label.upper(), "VALUE": c.value, "TYPE_ID": name}
        for c in item.communications.all()
        if c.kind == kind
    ]


def selection(kind: str, select: Any, *, full: bool = False) -> list[str]:
    """Expand `select` (with * and UF_*) into field names; `full` (get) means everything."""
    spec = FIELDS[kind]
    names = [str(n).upper() for n in as_list(select)] if not full else ["*", "UF_*", *MULTI]
    if not names or "*" in names:
        names = [n for n in spec if n not in MULTI] + [n for n in names if n != "*"]
    chosen: list[str] = []
    for name in names:
        if name not in chosen:
            chosen.append(name)
    if any(n in MULTI for n in chosen) and "ID" not in chosen:
        chosen.insert(0, "ID")
    return chosen


def row(kind: str, item, names: list[str], custom_codes: list[str]) -> dict[str, Any]:
    """Return the classic representation of `item` with the `names` fields."""
    spec = FIELDS[kind]
    result: dict[str, Any] = {}
    for name in names:
        if name == "UF_*":
            for code in custom_codes:
                result[code] = (item.custom or {}).get(code)
        elif name in MULTI and kind != "deal":
            values = multifields(item, name)
            if values:
                result[name] = values
        elif name in spec:
            result[name] = spec[name].read(item)
        elif name.startswith("UF_"):
            result[name] = (item.custom or {}).get(name)
    return result


# --- Writing ------------------------------------------------------------------------------


def _label(name: str, raw: Any) -> str:
    label = str(raw or "").strip().lower()
    if label in _LABELS:
        return label
    if name == "IM" and not label:
        return "telegram"
    return "work" if not label else "other"


def merged_multifield(item, name: str, given: Any) -> list[dict[str, str]]:
    """The full new list of one kind of communication after a Bitrix24 write.

    Entries with an ID change (or, with an empty VALUE or DELETE=Y, remove) that entry;
    entries without one are added; entries not mentioned are kept.
    """
    kind = MULTI[name]
    current = {}
    if item is not None:
        current = {str(c.pk): c for c in item.communications.all() if c.kind == kind}
    result = {pk: {"value": c.value, "label": c.label} for pk, c in current.items()}
    added = []
    for entry in as_list(given):
        if not isinstance(entry, dict):
            entry = {"VALUE": entry}
        entry = {str(k).upper(): v for k, v in entry.items()}
        entry_id = str(entry.get("ID") or "")
        value = str(entry.get("VALUE") or "").strip()
        if entry_id and entry_id in result:
            if not value or flag(entry.get("DELETE")):
                result.pop(entry_id)
            else:
                result[entry_id] = {
                    "value": value,
                    "label": _label(name, entry.get("VALUE_TYPE") or current[entry_id].label),
                }
        elif value:
            added.append({"value": value, "label": _label(name, entry.get("VALUE_TYPE"))})
    return [*result.values(), *added]


def _empty_link(value: Any) -> Any:
    return None if value in (None, "", 0, "0") else value


def arguments(kind: str, fields: dict[str, Any], item=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Turn Bitrix24 `fields` into service arguments; return (arguments, special fields).

    Specials are the fields a plain update cannot set (STATUS_ID, STAGE_ID, CATEGORY_ID...).
    Unknown and read-only fields are ignored, as Bitrix24 does.
    """
    spec = FIELDS[kind]
    values: dict[str, Any] = {}
    special: dict[str, Any] = {}
    utm: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for raw_name, value in fields.items():
        name = str(raw_name).upper()
        if name.startswith("UF_"):
            custom[name] = value
        elif name in ("STATUS_ID", "STAGE_ID", "CATEGORY_ID", "STATUS_DESCRIPTION"):
            special[name] = value
        elif name in UTM:
            utm[name.lower()] = value
        elif name in MULTI and kind != "deal":
            values[MULTI_ARGUMENT[name]] = merged_multifield(item, name, value)
        elif name == "CONTACT_IDS" and kind in ("deal", "lead"):
            ids = as_list(value)
            values["contact"] = _empty_link(ids[0] if ids else None)
        elif name in spec and spec[name].argument and not spec[name].readonly:
            argument = spec[name].argument
            values[argument] = (
                _empty_link(value) if argument in ("company", "contact", "assigned_to") else value
            )
    if utm and kind in ("lead", "deal"):
        values["utm"] = {**((item.utm or {}) if item is not None else {}), **utm}
        values["utm"] = {k: v for k, v in values["utm"].items() if v not in (None, "")}
    if custom:
        values["custom"] = {**((item.custom or {}) if item is not None else {}), **custom}
    return values, special


# --- Filters and orders -------------------------------------------------------------------

_PREFIXES = ("!@", "!%", "!=", ">=", "<=", "=%", "%=", "@", "!", ">", "<", "=", "%")


def _filter_value(kind: str, name: str, field: Field | None, raw: Any) -> Any:
    if isinstance(raw, list | dict):
        return [_filter_value(kind, name, field, v) for v in as_list(raw)]
    if field is None:
        return raw
    if name in ("STATUS_SEMANTIC_ID", "STAGE_SEMANTIC_ID"):
        return SEMANTIC_BACK.get(str(raw).upper(), str(raw))
    if name == "STAGE_ID":
        prefixed = _PREFIXED_STAGE.match(str(raw))
        return prefixed.group(2) if prefixed else raw
    if name == "CATEGORY_ID":
        return default_deal_pipeline().pk if str(raw) in ("0", "") else raw
    if field.type == "char":
        return flag(raw)
    if field.type in ("datetime", "date"):
        return parse_moment(raw)
    if field.orm and field.orm.endswith("_id") and raw in ("", "0", 0):
        return None
    return raw


def condition(kind: str, key: str, raw: Any) -> Q:
    """One filter entry (`>=DATE_CREATE`, `@ID`, `%TITLE`, `PHONE`...) as a Q object."""
    prefix = next((p for p in _PREFIXES if key.startswith(p)), "")
    name = key[len(prefix) :].upper()
    field = FIELDS[kind].get(name)
    if name in ("PHONE", "EMAIL") and kind != "deal":
        values = [str(v) for v in as_list(raw)]
        normalize = try_normalize_phone if name == "PHONE" else try_normalize_email
        normalized = [normalize(v) or v.lower() for v in values]
        q = Q(communications__kind=MULTI[name], communications__normalized__in=normalized)
        return ~q if prefix.startswith("!") else q
    if name == "STAGE_ID" and kind == "deal":
        q = Q()
        for value in as_list(raw) if isinstance(raw, list | dict) else [raw]:
            q |= _stage_q(value)
        return ~q if prefix.startswith("!") else q
    if name.startswith("UF_"):
        path = f"custom__{name}"
    elif field is None or field.orm is None:
        raise Invalid("b24.filter", f"Invalid filter: field '{name}' is not allowed in filter")
    else:
        path = field.orm
    value = _filter_value(kind, name, field, raw)
    negate = prefix.startswith("!")
    core = prefix.lstrip("!")
    if core in ("", "=", "@") or prefix == "!@":
        if isinstance(value, list):
            q = Q(**{f"{path}__in": value})
        elif value is None or value == "":
            q = (
                Q(**{f"{path}__isnull": True}) | Q(**{path: ""})
                if field and field.type == "string"
                else Q(**{f"{path}__isnull": True})
            )
        else:
            q = Q(**{path: value})
    elif core in (">", ">=", "<", "<="):
        lookup = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[core]
        q = Q(**{f"{path}__{lookup}": value})
    elif core in ("%", "=%", "%="):
        q = Q(**{f"{path}__icontains": str(value).strip("%")})
    else:
        q = Q(**{path: value})
    return ~q if negate else q


def _stage_q(raw: Any) -> Q:
    """A deal stage id: "C3:NEW" is NEW of pipeline 3, a plain "NEW" that of the default pipeline."""
    code = str(raw or "")
    prefixed = _PREFIXED_STAGE.match(code)
    if prefixed:
        pipeline_id = int(prefixed.group(1))
        return Q(pipeline_id=pipeline_id, stage__code__in=[code, prefixed.group(2)])
    return Q(pipeline__is_default=True, stage__code=code)


def filter_q(kind: str, filters: Any) -> Q:
    if filters in (None, "", []):
        return Q()
    if not isinstance(filters, dict):
        raise bad_argument("Parameter 'filter' must be array.")
    q = Q()
    for key, value in filters.items():
        q &= condition(kind, str(key), value)
    return q


def ordering(kind: str, order: Any) -> list[str]:
    if order in (None, "", []):
        return ["pk"]
    if not isinstance(order, dict):
        raise bad_argument("Parameter 'order' must be array.")
    result = []
    for key, direction in order.items():
        name = str(key).upper()
        field = FIELDS[kind].get(name)
        if name in ("STATUS_ID", "STAGE_ID"):
            path = "status__sort" if kind == "lead" else "stage__sort"
        elif field is not None and field.orm:
            path = field.orm
        else:
            continue
        result.append(("-" if str(direction).upper() == "DESC" else "") + path)
    return [*result, "pk"] if "pk" not in result and "-pk" not in result else result
