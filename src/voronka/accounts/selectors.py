"""Reads on users, departments, roles and API tokens."""

import datetime as dt
import hashlib
from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import ApiToken, Department, Role, User
from voronka.accounts.rights import remember_rights, rights_subquery
from voronka.lib import statements
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


def active_token(raw: str, *, with_column: str = "") -> ApiToken | None:
    """Return the unrevoked token with this text, with its (active) user; None otherwise.

    `with_column`: an SQL expression a higher layer wants read in the same statement (a scalar
    subquery on a table of its own); its value is the token's `also_read`.

    Every API request starts here, so it is one raw statement (prepared: lib.statements) that
    reads the user's rights too (accounts.rights.rights_subquery), and the user is built from
    its row with the columns' converters (what the ORM does, without building a query each
    time: the ORM, or even a raw queryset, costs several times what running the statement does),
    or copied from the objects the same row gave last time (`_built`).
    """
    raw = (raw or "").strip()
    if not raw or len(raw) > TOKEN_MAX_LENGTH:
        return None
    digest = token_digest(raw)
    with statements.cursor() as cursor:
        cursor.execute(_token_sql(connection.vendor, with_column), [digest, True, False])
        row = cursor.fetchone()
    if row is None:
        return None
    built = _built.get(digest)
    if built is None or built[0] != row:
        built = _build(row, digest)
        if len(_built) >= _MAX_BUILT:
            _built.clear()
        _built[digest] = built
    _row, user_attributes, token_attributes = built
    user = _instance(User, user_attributes, {})
    token = _instance(ApiToken, token_attributes, {"user": user})
    token.also_read = row[-1]
    return token


# Per process, by token digest: the statement's last row and the attributes of the user and
# token built from it. The statement runs at every request (a revoked token, a deactivated user
# or a changed role shows at once); a row equal to the last one gives the same objects, copied
# from these attributes instead of built again (converters, the model constructors, the rights).
_built: dict[str, tuple[tuple, dict, dict]] = {}
_MAX_BUILT = 10_000


def _build(row: tuple, digest: str) -> tuple[tuple, dict, dict]:
    fields, converters = _user_columns()
    values = list(row[: len(fields)])
    for index, field_converters in converters:
        for convert in field_converters:
            values[index] = convert(values[index], fields[index], connection)
    user = User.from_db(connection.alias, [field.attname for field in fields], values)
    token_id, name, prefix, read_only, last_used, rights, _also_read = row[len(fields) :]
    remember_rights(user, rights)
    token = ApiToken(
        id=token_id,
        user_id=user.pk,
        name=name,
        prefix=prefix,
        token_hash=digest,
        is_read_only=bool(read_only),
        last_used_at=_moment(last_used),
        revoked_at=None,
    )
    return row, _attributes(user), _attributes(token)


def _attributes(instance) -> dict:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"}


def _instance(model, attributes: dict, related: dict):
    """A saved `model` instance with these attributes (a shallow copy: each request its own)."""
    instance = model.__new__(model)
    instance.__dict__.update(attributes)
    state = ModelState()
    state.adding, state.db = False, connection.alias
    state.fields_cache.update(related)
    instance._state = state
    return instance


_CONVERTERS: dict[str, list] = {}


def _user_columns() -> tuple[list, list]:
    """The user's concrete fields, and (index, converters) of those whose values need converting."""
    fields = list(User._meta.concrete_fields)
    converters = _CONVERTERS.get(connection.vendor)
    if converters is None:
        converters = []
        for index, field in enumerate(fields):
            column = field.get_col(User._meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found))
        _CONVERTERS[connection.vendor] = converters
    return fields, converters


@cache
def _token_sql(vendor: str, with_column: str) -> str:
    quote = connection.ops.quote_name
    users, tokens = quote(User._meta.db_table), quote(ApiToken._meta.db_table)
    columns = ", ".join(f"u.{quote(field.column)}" for field in User._meta.concrete_fields)
    return (
        f"SELECT {columns}, t.id, t.name, t.prefix, t.is_read_only, t.last_used_at, "  # noqa: S608 - names from the models
        f"{rights_subquery('u.' + quote(User._meta.get_field('role').column))}, {with_column or 'NULL'} "
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
