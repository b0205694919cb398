"""Users and departments (read only in the API)."""

from typing import Any

from ninja import Schema


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    middle_name: str
    display_name: str
    email: str
    position: str
    phone: str
    department_id: int | None
    role_id: int | None
    role_code: str | None
    is_active: bool
    is_administrator: bool


class UserList(Schema):
    items: list[UserOut]


class DepartmentOut(Schema):
    id: int
    name: str
    parent_id: int | None
    head_id: int | None
    sort: int


class DepartmentList(Schema):
    items: list[DepartmentOut]


def user_dict(user, *, is_administrator: bool) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "middle_name": user.middle_name,
        "display_name": user.display_name,
        "email": user.email,
        "position": user.position,
        "phone": user.phone,
        "department_id": user.department_id,
        "role_id": user.role_id,
        "role_code": user.role.code if user.role_id else None,
        "is_active": user.is_active,
        "is_administrator": is_administrator,
    }


def department_dict(department) -> dict[str, Any]:
    return {
        "id": department.pk,
        "name": department.name,
        "parent_id": department.parent_id,
        "head_id": department.head_id,
        "sort": department.sort,
    }
