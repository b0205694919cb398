"""Roles and the rights they grant (read by everyone, changed by administrators)."""

from typing import Any, Literal

from ninja import Field, Schema

from voronka.api.schemas.common import Input, ShortText, Text

EntityName = Literal["lead", "deal", "contact", "company", "activity"]
ActionName = Literal["read", "create", "update", "delete", "export", "move_back"]
ScopeName = Literal["none", "own", "department", "all"]
SCOPES = {"none": 0, "own": 1, "department": 2, "all": 3}
SCOPE_NAMES = {value: name for name, value in SCOPES.items()}


class RoleOut(Schema):
    id: int
    code: str
    name: str
    is_admin: bool
    description: str
    rights: dict[str, dict[str, ScopeName]] = Field(
        description='{"lead": {"read": "department", "update": "own", …}, "deal": {…}, …}'
    )


class RoleList(Schema):
    items: list[RoleOut]


class RoleIn(Input):
    code: ShortText
    name: ShortText
    is_admin: bool = False
    description: Text = ""
    rights: dict[EntityName, dict[ActionName, ScopeName]] | None = None


class RolePatch(Input):
    name: ShortText | None = None
    is_admin: bool | None = None
    description: Text | None = None
    rights: dict[EntityName, dict[ActionName, ScopeName]] | None = Field(
        None, description="Only the rights given change."
    )


def rights_argument(rights: dict[str, dict[str, str]]) -> dict[tuple[str, str], int]:
    return {
        (entity, action): SCOPES[scope]
        for entity, actions in rights.items()
        for action, scope in actions.items()
    }


def role_dict(role) -> dict[str, Any]:
    rights: dict[str, dict[str, str]] = {}
    for permission in role.permissions.all():
        rights.setdefault(permission.entity, {})[permission.action] = SCOPE_NAMES[permission.scope]
    return {
        "id": role.pk,
        "code": role.code,
        "name": str(role),
        "is_admin": role.is_admin,
        "description": role.description,
        "rights": rights,
    }
