"""Writes on users, departments and roles.

Rules enforced here:
- every user holds a role (the manager role unless another is given);
- the system user (the actor of robots and imports) exists once and cannot sign in;
- a department cannot become its own ancestor;
- a role's rights are one scope per (entity, action).
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, Department, Entity, Role, RolePermission, Scope, User
from voronka.accounts.rights import department_subtree_ids, forget_rights
from voronka.lib.errors import Invalid, NotFound

SYSTEM_USERNAME = "system"
DEFAULT_ROLE = "manager"


def system_user() -> User:
    """Return the system actor used by robots, imports and migrations."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "is_system": True,
            "is_active": False,
            "first_name": "Voronka",
            "last_name": "",
            "password": "!",
        },
    )
    return user


def get_role(code: str) -> Role:
    """Return the role with `code`."""
    try:
        return Role.objects.get(code=code)
    except Role.DoesNotExist:
        raise NotFound("role.not_found", _("There is no role “%(code)s”.") % {"code": code}) from None


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    department: Department | None = None,
    role: Role | str | None = None,
    is_superuser: bool = False,
    **profile: object,
) -> User:
    """Create a user with a role (the manager role by default)."""
    username = (username or "").strip()
    if not username:
        raise Invalid(
            "user.username_required", _("A user needs a login name."), details={"field": "username"}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Invalid(
            "user.username_taken",
            _("The login “%(name)s” is taken.") % {"name": username},
            details={"field": "username"},
        )
    if isinstance(role, str) or role is None:
        role = get_role(role or ("administrator" if is_superuser else DEFAULT_ROLE))
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        department=department,
        role=role,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        **profile,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def set_department_parent(department: Department, *, parent: Department | None) -> Department:
    """Move a department under another one (or to the top)."""
    if parent is not None and parent.pk in department_subtree_ids([department.pk]):
        raise Invalid("department.cycle", _("A department cannot be placed inside itself."))
    department.parent = parent
    department.save(update_fields=["parent"])
    return department


@transaction.atomic
def set_role_rights(role: Role, rights: dict[tuple[str, str], int]) -> Role:
    """Set the scope of each (entity, action) pair given; pairs not given keep theirs."""
    for (entity, action), scope in rights.items():
        if entity not in Entity.values or action not in Action.values or scope not in Scope.values:
            raise Invalid("role.bad_right", _("Unknown right: %(right)s.") % {"right": f"{entity}/{action}"})
        RolePermission.objects.update_or_create(
            role=role, entity=entity, action=action, defaults={"scope": scope}
        )
    return role


@transaction.atomic
def assign_role(user: User, *, role: Role) -> User:
    """Give `user` another role."""
    user.role = role
    user.save(update_fields=["role"])
    forget_rights(user)
    return user


LANGUAGES = ("en", "ru")


@transaction.atomic
def set_language(user: User, *, language: str) -> User:
    """Keep the interface language a user chose."""
    if language not in LANGUAGES:
        raise Invalid("user.bad_language", _("Unknown language “%(code)s”.") % {"code": language})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def create_department(*, name: str, parent: Department | None = None, head: User | None = None) -> Department:
    """Add a department (at the top, or inside `parent`)."""
    name = (name or "").strip()
    if not name:
        raise Invalid(
            "department.name_required", _("A department needs a name."), details={"name": _("Required.")}
        )
    return Department.objects.create(name=name[:200], parent=parent, head=head)


@transaction.atomic
def update_user(
    user: User,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    position: str | None = None,
    department: Department | bool | None = False,
    is_active: bool | None = None,
) -> User:
    """Change a user's name, contacts, department or whether they may sign in."""
    if user.is_system:
        raise Invalid("user.system", _("The system user cannot be changed."))
    for name, value in (
        ("first_name", first_name),
        ("last_name", last_name),
        ("email", email),
        ("position", position),
    ):
        if value is not None:
            setattr(user, name, value.strip())
    if department is not False:
        user.department = department
    if is_active is not None:
        user.is_active = is_active
    user.save()
    forget_rights(user)
    return user
