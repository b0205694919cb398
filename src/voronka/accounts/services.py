"""Writes on users, departments and roles.

Rules enforced here:
- every user holds a role (the manager role unless another is given);
- the system user (the actor of robots and imports) exists once and cannot sign in;
- a department cannot become its own ancestor;
- only administrators edit roles; a role's rights are one scope per (entity, action); a built-in
  role or a role somebody holds cannot be deleted;
- an API token belongs to an active person (not the system user) and is created by that person
  or an administrator; only its SHA-256 digest is stored, the token is returned once; a revoked
  token never works again.
"""

import datetime as dt
import re
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, ApiToken, Department, Entity, Role, RolePermission, Scope, User
from voronka.accounts.rights import department_subtree_ids, forget_rights, is_administrator
from voronka.accounts.roles import BUILT_IN
from voronka.accounts.selectors import token_digest
from voronka.lib.errors import Conflict, Forbidden, Invalid, NotFound, Refused

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


def _check_admin(actor: User, message) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", message)


_ROLE_CODE = re.compile(r"^[a-z0-9_-]{1,50}$")


@transaction.atomic
def create_role(
    *,
    code: str,
    name: str,
    actor: User,
    is_admin: bool = False,
    description: str = "",
    rights: dict[tuple[str, str], int] | None = None,
) -> Role:
    """Create a role; rights not given are "none"."""
    _check_admin(actor, _("Only administrators may change roles."))
    code = (code or "").strip().lower()
    if not _ROLE_CODE.match(code):
        raise Invalid(
            "role.bad_code",
            _("A role code is made of small Latin letters, digits, “-” and “_”."),
            details={"code": _("Invalid.")},
        )
    name = _role_name(name)
    role, created = Role.objects.get_or_create(
        code=code, defaults={"name": name, "is_admin": is_admin, "description": description or ""}
    )
    if not created:
        raise Conflict(
            "role.code_taken",
            _("The role code “%(code)s” is taken.") % {"code": code},
            details={"code": _("Taken.")},
        )
    RolePermission.objects.bulk_create(
        RolePermission(role=role, entity=entity, action=action, scope=Scope.NONE)
        for entity in Entity.values
        for action in Action.values
    )
    if rights:
        set_role_rights(role, rights, actor=actor)
    return role


def _role_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("role.name_required", _("A role needs a name."), details={"name": _("Required.")})
    if len(name) > 100:
        raise Invalid("role.name_too_long", _("At most 100 characters."), details={"name": _("Too long.")})
    return name


@transaction.atomic
def update_role(
    role: Role,
    *,
    actor: User,
    name: str | None = None,
    is_admin: bool | None = None,
    description: str | None = None,
    rights: dict[tuple[str, str], int] | None = None,
) -> Role:
    """Rename a role, change its description, its rights or whether it administers the CRM."""
    _check_admin(actor, _("Only administrators may change roles."))
    if name is not None:
        role.name, role.is_system_name = _role_name(name), False
    if description is not None:
        role.description = description.strip()
    if is_admin is not None:
        if role.is_admin and not is_admin and _is_last_admin_role(role):
            raise Refused("role.last_admin_role", _("At least one role must administer the CRM."))
        role.is_admin = is_admin
    role.save()
    if rights:
        set_role_rights(role, rights, actor=actor)
    return role


def _is_last_admin_role(role: Role) -> bool:
    return not Role.objects.filter(is_admin=True).exclude(pk=role.pk).exists()


@transaction.atomic
def delete_role(role: Role, *, actor: User) -> None:
    """Delete a role nobody holds (built-in roles stay)."""
    _check_admin(actor, _("Only administrators may change roles."))
    if role.code in BUILT_IN:
        raise Refused("role.built_in", _("Built-in roles cannot be deleted; change their rights instead."))
    holders = User.objects.filter(role=role).count()
    if holders:
        raise Refused(
            "role.in_use",
            _("%(count)d users hold this role; give them another one first.") % {"count": holders},
            details={"count": holders},
        )
    role.delete()


@transaction.atomic
def set_role_rights(role: Role, rights: dict[tuple[str, str], int], *, actor: User) -> Role:
    """Set the scope of each (entity, action) pair given; pairs not given keep theirs."""
    _check_admin(actor, _("Only administrators may change roles."))
    errors = {
        f"{entity}.{action}": str(_("Unknown right or scope."))
        for (entity, action), scope in rights.items()
        if entity not in Entity.values or action not in Action.values or scope not in Scope.values
    }
    if errors:
        raise Invalid("role.bad_right", _("Some rights are unknown."), details=errors)
    for (entity, action), scope in rights.items():
        RolePermission.objects.update_or_create(
            role=role, entity=entity, action=action, defaults={"scope": scope}
        )
    return role


@transaction.atomic
def assign_role(user: User, *, role: Role, actor: User) -> User:
    """Give `user` another role."""
    _check_admin(actor, _("Only administrators may change roles."))
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


# --- API tokens -------------------------------------------------------------------------------
TOKEN_PREFIX = "vrk_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 12
# Touching last_used_at at most this often keeps reads from becoming writes.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def create_token(*, user: User, actor: User, name: str = "", read_only: bool = False) -> tuple[ApiToken, str]:
    """Create a personal API token for `user`; return it with the token text, which is never shown again."""
    if actor.pk != user.pk and not is_administrator(actor):
        raise Forbidden("token.not_yours", _("Only administrators create tokens for other people."))
    if user.is_system or not user.is_active:
        raise Invalid(
            "token.inactive_user",
            _("%(user)s cannot sign in, so cannot have a token.") % {"user": user.username},
            details={"user": _("Inactive.")},
        )
    name = (name or "").strip()
    if len(name) > 100:
        raise Invalid("token.name_too_long", _("At most 100 characters."), details={"name": _("Too long.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        token_hash=token_digest(raw),
        is_read_only=read_only,
        created_by=None if actor.is_system else actor,
    )
    return token, raw


@transaction.atomic
def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    """Revoke a token for good (revoking twice changes nothing)."""
    if actor.pk != token.user_id and not is_administrator(actor):
        raise Forbidden("token.not_yours", _("Only administrators revoke other people's tokens."))
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def touch_token(token: ApiToken) -> None:
    """Record that the token was used now (at most once a minute, with a conditional UPDATE)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gte=now - LAST_USED_RESOLUTION).update(
        last_used_at=now
    )
    token.last_used_at = now
