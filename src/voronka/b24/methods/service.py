"""Service methods: server.time, profile, user.*, methods, scope, method.get."""

from typing import Any

from django.utils import timezone

from voronka.accounts.rights import is_administrator
from voronka.accounts.selectors import active_users
from voronka.b24 import protocol
from voronka.b24.methods.common import page
from voronka.b24.parsing import param
from voronka.b24.protocol import Call, method


def user_row(user) -> dict[str, Any]:
    return {
        "ID": str(user.pk),
        "XML_ID": "",
        "ACTIVE": user.is_active,
        "NAME": user.first_name or None,
        "LAST_NAME": user.last_name or None,
        "SECOND_NAME": user.middle_name or None,
        "EMAIL": user.email or None,
        "LAST_LOGIN": protocol.iso(user.last_login) if user.last_login else None,
        "DATE_REGISTER": protocol.iso(user.date_joined),
        "IS_ONLINE": "N",
        "TIME_ZONE": "",
        "PERSONAL_GENDER": "",
        "WORK_POSITION": user.position or None,
        "WORK_PHONE": user.phone or None,
        "UF_DEPARTMENT": [user.department_id] if user.department_id else [],
        "USER_TYPE": "employee",
    }


@method("server.time", scope=None)
def server_time(call: Call) -> str:
    return protocol.iso(timezone.now())


@method("profile", scope=None)
def profile(call: Call) -> dict[str, Any]:
    user = call.user
    return {
        "ID": str(user.pk),
        "ADMIN": is_administrator(user),
        "NAME": user.first_name,
        "LAST_NAME": user.last_name,
        "PERSONAL_GENDER": "",
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": int(timezone.localtime().utcoffset().total_seconds()),
    }


@method("user.current", scope="user")
def user_current(call: Call) -> dict[str, Any]:
    return user_row(call.user)


_USER_FILTERS = {
    "ID": "pk",
    "EMAIL": "email__iexact",
    "NAME": "first_name",
    "LAST_NAME": "last_name",
    "ACTIVE": "is_active",
    "UF_DEPARTMENT": "department_id",
}


@method("user.get", scope="user")
def user_get(call: Call):
    queryset = active_users().order_by("pk")
    filters = param(call.params, "filter") or {}
    if not isinstance(filters, dict):
        filters = {}
    for key, value in {**call.params, **filters}.items():
        if str(key).upper() == ">ID":
            queryset = queryset.filter(pk__gt=int(value or 0))
            continue
        name = str(key).upper().lstrip("=")
        if name in _USER_FILTERS and name != "ACTIVE":
            if isinstance(value, list):
                queryset = queryset.filter(**{f"{_USER_FILTERS[name].split('__')[0]}__in": value})
            else:
                queryset = queryset.filter(**{_USER_FILTERS[name]: value})
    return page(call, queryset, user_row)


@method("methods", scope=None)
def methods(call: Call) -> list[str]:
    return sorted(m.name for m in protocol.METHODS.values())


@method("method.get", scope=None)
def method_get(call: Call) -> dict[str, bool]:
    found = protocol.find(str(param(call.params, "name") or ""))
    available = found is not None and (found.scope is None or found.scope in call.webhook.scopes)
    return {"isExisting": found is not None, "isAvailable": available}


@method("scope", scope=None)
def scope(call: Call) -> list[str]:
    from voronka.b24.services import SCOPES

    if str(param(call.params, "full") or "").lower() in ("true", "y", "1"):
        return list(SCOPES)
    return list(call.webhook.scopes) if call.webhook else []
