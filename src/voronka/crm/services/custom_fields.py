"""Custom field definitions, and the validation of their values on every write.

Rules enforced here:
- a value must fit its field's type (string, number, date, yes/no, list option, user);
- a required field must have a value when an item is created, and cannot be emptied later;
- codes are unique per entity, upper-case, and start with UF_CRM_ (Bitrix24's convention);
- an unknown field code is refused, never stored silently.
Values are stored in the item's `custom` JSON: strings, numbers, ISO dates,
booleans, option ids and user ids (lists of them for multiple fields).
"""

import copy
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm import config_cache
from voronka.crm.models import CustomField
from voronka.lib.errors import Forbidden, Invalid

Type = CustomField.Type
_CODE = re.compile(r"^UF_CRM_[A-Z0-9_]{1,40}$")
_EMPTY = (None, "", [])


def definitions(entity: str) -> list[CustomField]:
    """Return the custom fields of `entity` in their order."""
    kept = config_cache.cached(
        f"custom_fields:{entity}",
        lambda: list(CustomField.objects.filter(entity=entity).order_by("sort", "pk")),
    )
    return [copy.copy(field) for field in kept]


def clean_values(
    entity: str,
    values: Mapping[str, Any] | None,
    *,
    current: Mapping[str, Any] | None = None,
    creating: bool,
    known_fields: list[CustomField] | None = None,
    user_ids: set[int] | None = None,
) -> dict[str, Any]:
    """Return the item's new `custom` dict: `current` updated with validated `values`.

    Bulk writes pass the field definitions (`known_fields`) and the active `user_ids` they loaded once.
    """
    given = known_fields if known_fields is not None else definitions(entity)
    fields = {field.code: field for field in given}
    result = dict(current or {})
    errors: dict[str, str] = {}
    for code, raw in (values or {}).items():
        field = fields.get(str(code).upper())
        if field is None:
            errors[f"custom.{code}"] = str(_("There is no such field."))
            continue
        try:
            cleaned = _clean(field, raw, user_ids)
        except Invalid as error:
            errors[f"custom.{field.code}"] = str(error.message)
            continue
        if cleaned in _EMPTY:
            result.pop(field.code, None)
        else:
            result[field.code] = cleaned
    for field in fields.values():
        if field.is_required and result.get(field.code) in _EMPTY:
            touched = creating or any(str(code).upper() == field.code for code in (values or {}))
            if touched:
                errors[f"custom.{field.code}"] = str(_("“%(name)s” is required.") % {"name": field.name})
    if errors:
        raise Invalid("custom.invalid", _("Some custom fields are wrong."), details=errors)
    return result


def _clean(field: CustomField, raw: Any, user_ids: set[int] | None) -> Any:
    if raw in _EMPTY:
        return None
    if field.is_multiple:
        items = raw if isinstance(raw, list | tuple) else [raw]
        return [
            value for value in (_clean_one(field, item, user_ids) for item in items) if value not in _EMPTY
        ]
    if isinstance(raw, list | tuple):
        raise Invalid("custom.not_multiple", _("This field takes one value."))
    return _clean_one(field, raw, user_ids)


def _clean_one(field: CustomField, raw: Any, user_ids: set[int] | None) -> Any:
    if raw in _EMPTY:
        return None
    if isinstance(raw, Mapping | list | tuple | set):
        raise Invalid("custom.bad_value", _("This field takes a plain value."))
    if field.type == Type.USER:
        return _user(field, raw, user_ids)
    cleaner = _CLEANERS[field.type]
    return cleaner(field, raw)


def _string(field: CustomField, raw: Any) -> str:
    text = str(raw).strip()
    if len(text) > 2000:
        raise Invalid("custom.too_long", _("At most 2000 characters."))
    return text


def _number(field: CustomField, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise Invalid("custom.not_a_number", _("“%(value)s” is not a number.") % {"value": raw})
    try:
        number = Decimal(str(raw).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Invalid("custom.not_a_number", _("“%(value)s” is not a number.") % {"value": raw}) from None
    if not number.is_finite():
        raise Invalid("custom.not_a_number", _("“%(value)s” is not a number.") % {"value": raw})
    return int(number) if number == number.to_integral_value() else float(number)


def _date(field: CustomField, raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text[:19], pattern).date().isoformat()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise Invalid("custom.not_a_date", _("“%(value)s” is not a date.") % {"value": raw})


def _bool(field: CustomField, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "y", "yes", "true", "on", "да"}:
        return True
    if text in {"0", "n", "no", "false", "off", "нет"}:
        return False
    raise Invalid("custom.not_a_bool", _("“%(value)s” is neither yes nor no.") % {"value": raw})


def _enum(field: CustomField, raw: Any) -> int:
    for option in field.options:
        if (
            str(option.get("id")) == str(raw).strip()
            or str(option.get("value")).strip().lower() == str(raw).strip().lower()
        ):
            return int(option["id"])
    raise Invalid("custom.bad_option", _("“%(value)s” is not one of the options.") % {"value": raw})


def _user(field: CustomField, raw: Any, user_ids: set[int] | None) -> int:
    user_id = raw.pk if isinstance(raw, User) else raw
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise Invalid("custom.bad_user", _("“%(value)s” is not a user.") % {"value": raw}) from None
    known = (
        user_id in user_ids
        if user_ids is not None
        else User.objects.filter(pk=user_id, is_active=True).exists()
    )
    if not known:
        raise Invalid("custom.bad_user", _("“%(value)s” is not a user.") % {"value": raw})
    return user_id


_CLEANERS = {
    Type.STRING: _string,
    Type.NUMBER: _number,
    Type.DATE: _date,
    Type.BOOL: _bool,
    Type.ENUM: _enum,
}


def _check_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators may change custom fields."))


def _check_options(type_: str, options: list[Any]) -> list[dict[str, Any]]:
    if type_ != Type.ENUM:
        return []
    cleaned: list[dict[str, Any]] = []
    used: set[int] = set()
    for index, option in enumerate(options or []):
        value = str(option.get("value") if isinstance(option, Mapping) else option).strip()
        if not value:
            continue
        option_id = option.get("id") if isinstance(option, Mapping) else None
        option_id = int(option_id) if option_id else max([*used, 0]) + 1
        if option_id in used:
            raise Invalid("custom.duplicate_option", _("Option ids must be unique."))
        used.add(option_id)
        cleaned.append({"id": option_id, "value": value, "sort": (index + 1) * 10})
    if not cleaned:
        raise Invalid("custom.options_required", _("A list field needs at least one option."))
    return cleaned


@transaction.atomic
def create_field(
    *,
    entity: str,
    name: str,
    type: str,
    actor: User,
    code: str = "",
    is_required: bool = False,
    is_multiple: bool = False,
    options: list[Any] | None = None,
    sort: int = 100,
) -> CustomField:
    """Add a custom field to an entity."""
    _check_admin(actor)
    if entity not in CustomField.Entity.values:
        raise Invalid("custom.bad_entity", _("Unknown entity “%(value)s”.") % {"value": entity})
    if type not in Type.values:
        raise Invalid("custom.bad_type", _("Unknown field type “%(value)s”.") % {"value": type})
    name = (name or "").strip()
    if not name:
        raise Invalid("custom.name_required", _("A field needs a name."), details={"name": _("Required.")})
    code = (code or "").strip().upper()
    if not code:
        code = _free_code(entity)
    elif not code.startswith("UF_CRM_"):
        code = f"UF_CRM_{code}"
    if not _CODE.match(code):
        raise Invalid("custom.bad_code", _("A code is UF_CRM_ followed by letters, digits and _."))
    if CustomField.objects.filter(entity=entity, code=code).exists():
        raise Invalid("custom.code_taken", _("The code %(code)s is taken.") % {"code": code})
    return CustomField.objects.create(
        entity=entity,
        code=code,
        name=name,
        type=type,
        is_required=is_required,
        is_multiple=is_multiple,
        options=_check_options(type, options or []),
        sort=sort,
    )


def _free_code(entity: str) -> str:
    taken = set(CustomField.objects.filter(entity=entity).values_list("code", flat=True))
    number = len(taken) + 1
    while f"UF_CRM_{number}" in taken:
        number += 1
    return f"UF_CRM_{number}"


@transaction.atomic
def update_field(
    field: CustomField,
    *,
    actor: User,
    name: str | None = None,
    is_required: bool | None = None,
    options: list[Any] | None = None,
    sort: int | None = None,
) -> CustomField:
    """Rename a field, change its required flag, order or list options (the type and code stay)."""
    _check_admin(actor)
    if name is not None:
        if not name.strip():
            raise Invalid("custom.name_required", _("A field needs a name."))
        field.name = name.strip()
    if is_required is not None:
        field.is_required = is_required
    if options is not None:
        field.options = _check_options(field.type, options)
    if sort is not None:
        field.sort = sort
    field.save()
    return field


@transaction.atomic
def delete_field(field: CustomField, *, actor: User) -> None:
    """Remove a field definition; values already stored stay in the items' JSON but are no longer shown."""
    _check_admin(actor)
    field.delete()
