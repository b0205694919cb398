"""Reads on users, departments, roles and API tokens."""

import datetime as dt
import hashlib

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import ApiToken, Department, Role, User
from voronka.lib.errors import NotFound

TOKEN_MAX_LENGTH = 200


def active_users() -> QuerySet[User]:
    """Return the people who can be made responsible for items (not the system user)."""
    return User.objects.filter(is_active=True, is_system=False).select_related("department", "role")


def get_user(user_id: int) -> User:
    """Return an active user by id, or raise NotFound."""
    try:
        return active_users().get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("user.not_found", _("User not found.")) from None


def departments() -> QuerySet[Department]:
    """Return every department, parents first by sort order."""
    return Department.objects.select_related("parent", "head")


def roles() -> QuerySet[Role]:
    """Return every role with its rights."""
    return Role.objects.prefetch_related("permissions")


def get_department(department_id: int) -> Department:
    """Return a department by id, or raise NotFound."""
    try:
        return departments().get(pk=department_id)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise NotFound("department.not_found", _("Department not found.")) from None


def get_role_by_id(role_id: int) -> Role:
    """Return a role by id, or raise NotFound."""
    try:
        return roles().get(pk=role_id)
    except (Role.DoesNotExist, ValueError, TypeError):
        raise NotFound("role.not_found", _("Role not found.")) from None


def token_digest(raw: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def active_token(raw: str) -> ApiToken | None:
    """Return the unrevoked token with this text, with its (active) user; None otherwise.

    Every API request starts here, so it is one raw statement: building the same query with
    the ORM costs ten times what running it does.
    """
    raw = (raw or "").strip()
    if not raw or len(raw) > TOKEN_MAX_LENGTH:
        return None
    digest = token_digest(raw)
    found = list(User.objects.raw(_token_sql(), [digest, True, False]))
    if not found:
        return None
    user = found[0]
    token = ApiToken(
        id=user.api_token_id,
        user=user,
        name=user.api_token_name,
        prefix=user.api_token_prefix,
        token_hash=digest,
        is_read_only=bool(user.api_token_read_only),
        last_used_at=_moment(user.api_token_last_used),
        revoked_at=None,
    )
    token._state.adding, token._state.db = False, user._state.db
    return token


def _token_sql() -> str:
    quote = connection.ops.quote_name
    users, tokens = quote(User._meta.db_table), quote(ApiToken._meta.db_table)
    return (
        f"SELECT u.*, t.id AS api_token_id, t.name AS api_token_name, t.prefix AS api_token_prefix, "  # noqa: S608 - table names from the models
        f"t.is_read_only AS api_token_read_only, t.last_used_at AS api_token_last_used "
        f"FROM {users} u INNER JOIN {tokens} t ON t.user_id = u.id "
        f"WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active = %s AND u.is_system = %s"
    )


def _moment(value) -> dt.datetime | None:
    """A timestamp read by raw SQL: SQLite gives naive UTC (text or datetime), PostgreSQL an aware one."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def tokens(user: User | None = None) -> QuerySet[ApiToken]:
    """Return API tokens (of one user when given), newest first."""
    queryset = ApiToken.objects.select_related("user")
    return queryset.filter(user=user) if user is not None else queryset


def get_token(reference: str) -> ApiToken:
    """Return a token by id or by its prefix, or raise NotFound."""
    reference = (reference or "").strip()
    queryset = tokens()
    found = queryset.filter(pk=int(reference)) if reference.isdigit() else queryset.filter(prefix=reference)
    token = found.first() if found.count() == 1 else None
    if token is None:
        raise NotFound("token.not_found", _("No single token matches “%(ref)s”.") % {"ref": reference})
    return token
