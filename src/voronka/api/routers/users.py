"""/api/v1/users and /api/v1/departments — the people and the company's structure (read only)."""

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.accounts.rights import is_administrator
from voronka.accounts.selectors import active_users, departments, get_department, get_user
from voronka.api.routers.items import respond
from voronka.api.schemas.common import Id
from voronka.api.schemas.users import (
    DepartmentList,
    DepartmentOut,
    UserList,
    UserOut,
    department_dict,
    user_dict,
)

users = Router(tags=["users"])
departments_router = Router(tags=["departments"])


def _user(user):
    return user_dict(user, is_administrator=is_administrator(user))


@users.get("", response=UserList, summary="List the active users")
def list_users(request: HttpRequest, department_id: Query[Id | None] = None):
    queryset = active_users()
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    return respond({"items": [_user(user) for user in queryset]})


@users.get("/me", response=UserOut, summary="The token's user")
def me(request: HttpRequest):
    return respond(_user(request.auth))


@users.get("/{user_id}", response=UserOut, summary="Get a user")
def get(request: HttpRequest, user_id: Path[Id]):
    return respond(_user(get_user(user_id)))


@departments_router.get("", response=DepartmentList, summary="List departments")
def list_departments(request: HttpRequest):
    return respond({"items": [department_dict(d) for d in departments()]})


@departments_router.get("/{department_id}", response=DepartmentOut, summary="Get a department")
def get_department_view(request: HttpRequest, department_id: Path[Id]):
    return respond(department_dict(get_department(department_id)))
