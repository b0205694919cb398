"""Settings: users, departments, roles and their rights."""

from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from voronka.accounts import services as accounts
from voronka.accounts.models import Action, Department, Entity, Role, Scope, User
from voronka.accounts.selectors import departments as all_departments
from voronka.accounts.selectors import roles as all_roles
from voronka.lib.errors import NotFound
from voronka.web.views.settings import _attempt, _page, admin_only

SCOPES = [
    (Scope.NONE, _lazy("None")),
    (Scope.OWN, _lazy("Own")),
    (Scope.DEPARTMENT, _lazy("Department")),
    (Scope.ALL, _lazy("All")),
]


@admin_only
def users(request):
    """Users: add one with a role and a department."""
    departments_list = list(all_departments())
    roles_list = list(all_roles())
    if request.method == "POST":
        department = next((d for d in departments_list if str(d.pk) == request.POST.get("department")), None)
        role = next((r for r in roles_list if str(r.pk) == request.POST.get("role")), None)
        _attempt(
            request,
            lambda: accounts.create_user(
                username=request.POST.get("username", ""),
                password=request.POST.get("password") or None,
                first_name=request.POST.get("first_name", "").strip(),
                last_name=request.POST.get("last_name", "").strip(),
                email=request.POST.get("email", "").strip(),
                department=department,
                role=role,
            ),
            _("User added."),
        )
        return redirect("web:settings-users")
    people = (
        User.objects.filter(is_system=False)
        .select_related("department", "role")
        .order_by("last_name", "username")
    )
    return _page(
        request,
        "web/settings/users.html",
        "users",
        people=people,
        departments=departments_list,
        roles=roles_list,
    )


@admin_only
@require_POST
def user(request, user_id: int):
    """Change a user's role, department or whether they may sign in."""
    person = User.objects.filter(pk=user_id, is_system=False).first()
    if person is None:
        raise NotFound("user.not_found", _("User not found."))
    department = Department.objects.filter(pk=request.POST.get("department") or 0).first()
    role = Role.objects.filter(pk=request.POST.get("role") or 0).first()

    def change():
        accounts.update_user(person, department=department, is_active=request.POST.get("is_active") == "1")
        if role is not None and role.pk != person.role_id:
            accounts.assign_role(person, role=role)

    _attempt(request, change, _("Saved."))
    return redirect("web:settings-users")


@admin_only
def departments(request):
    """Departments: add, and move under another one."""
    departments_list = list(all_departments())
    if request.method == "POST":
        parent = next((d for d in departments_list if str(d.pk) == request.POST.get("parent")), None)
        if request.POST.get("action") == "move":
            department = next(
                (d for d in departments_list if str(d.pk) == request.POST.get("department")), None
            )
            if department is None:
                raise NotFound("department.not_found", _("There is no such department."))
            _attempt(request, lambda: accounts.set_department_parent(department, parent=parent), _("Saved."))
        else:
            _attempt(
                request,
                lambda: accounts.create_department(name=request.POST.get("name", ""), parent=parent),
                _("Department added."),
            )
        return redirect("web:settings-departments")
    return _page(request, "web/settings/departments.html", "departments", departments=departments_list)


@admin_only
def roles(request):
    """Roles and what each may do."""
    return _page(request, "web/settings/roles.html", "roles", roles=list(all_roles()))


@admin_only
def role(request, role_id: int):
    """The rights of one role: a scope per entity and action."""
    current = next((r for r in all_roles() if r.pk == role_id), None)
    if current is None:
        raise NotFound("role.not_found", _("There is no such role."))
    if request.method == "POST":
        rights = {}
        for entity in Entity.values:
            for action in Action.values:
                value = request.POST.get(f"{entity}:{action}")
                if value is not None and value.isdigit():
                    rights[(entity, action)] = int(value)
        _attempt(
            request, lambda: accounts.set_role_rights(current, rights, actor=request.user), _("Rights saved.")
        )
        return redirect("web:settings-role", current.pk)
    scopes = {(p.entity, p.action): p.scope for p in current.permissions.all()}
    matrix = [
        {
            "entity": label,
            "cells": [
                {"name": f"{entity}:{action}", "value": scopes.get((entity, action), 0)}
                for action in Action.values
            ],
        }
        for entity, label in Entity.choices
    ]
    return _page(
        request,
        "web/settings/role.html",
        "roles",
        role=current,
        matrix=matrix,
        actions=Action.choices,
        scopes=SCOPES,
    )
