"""Which scope a user holds for an action on an entity, and whether it covers an item.

`accounts` answers only *which* scope; the selectors of `crm` and the other apps turn
it into a filter on the item's responsible user (`owner_ids`), so the same scoping
serves lists, boards, reports, search and export. Rights are loaded once per user
object (one query, or none when the statement that read the user read them too:
`rights_subquery`) and cached on it.
"""

from collections.abc import Iterable

from django.db import connection

from voronka.accounts.models import Action, Department, Entity, RolePermission, Scope, User

__all__ = ["Action", "Entity", "Scope", "can", "is_administrator", "owner_ids", "scope_for"]

_CACHE = "_voronka_rights"
_DEPT_CACHE = "_voronka_department_users"


def is_administrator(user: User | None) -> bool:
    """Return True for users who may configure the CRM (pipelines, fields, users, automation)."""
    if user is None or (not user.is_active and not getattr(user, "is_system", False)):
        return False
    if user.is_superuser or getattr(user, "is_system", False):
        return True
    role = user.role if user.role_id else None
    return bool(role and role.is_admin)


def scope_for(user: User | None, entity: str, action: str) -> Scope:
    """Return the scope `user` holds for `action` on `entity`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope.NONE
    if getattr(user, "is_system", False) or (user.is_active and user.is_superuser):
        return Scope.ALL
    if not user.is_active or not user.role_id:
        return Scope.NONE
    rights = getattr(user, _CACHE, None)
    if rights is None:
        rights = {(entity_, action_): Scope(scope) for entity_, action_, scope in _role_rights(user.role_id)}
        setattr(user, _CACHE, rights)
    return rights.get((str(entity), str(action)), Scope.NONE)


def _role_rights(role_id: int) -> list[tuple[str, str, int]]:
    # Read once per user object: one raw statement (the ORM's query building costs more). An API
    # request has them already, read with its token (`rights_subquery`).
    table = connection.ops.quote_name(RolePermission._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT entity, action, scope FROM {table} WHERE role_id = %s", [role_id])  # noqa: S608
        return cursor.fetchall()


def rights_subquery(role_column: str) -> str:
    """SQL for a column with the rights of the role in `role_column`, as text for `remember_rights`.

    A statement that reads a user (the API's token look-up) reads the role's rights with it, so
    a request needs no statement of its own for them and always sees them as they are now.
    """
    table = connection.ops.quote_name(RolePermission._meta.db_table)
    parts = "p.entity || ':' || p.action || ':' || p.scope"
    if connection.vendor == "postgresql":
        aggregate = f"string_agg({parts}::text, ',')"
    else:
        aggregate = f"group_concat({parts}, ',')"
    return f"(SELECT {aggregate} FROM {table} p WHERE p.role_id = {role_column})"  # noqa: S608 - names from code


def remember_rights(user: User, text: str | None) -> None:
    """Keep on `user` the rights read by `rights_subquery` (None: the role grants nothing)."""
    rights: dict[tuple[str, str], Scope] = {}
    for part in (text or "").split(","):
        entity, _sep, rest = part.partition(":")
        action, _sep, scope = rest.partition(":")
        if scope:
            rights[(entity, action)] = Scope(int(scope))
    setattr(user, _CACHE, rights)


def owner_ids(user: User | None, entity: str, action: str = Action.READ) -> set[int] | None:
    """Return the ids of responsible users whose items `user` may act on; None means every item."""
    scope = scope_for(user, entity, action)
    if scope == Scope.ALL:
        return None
    if scope == Scope.NONE or user is None:
        return set()
    if scope == Scope.OWN:
        return {user.pk}
    return department_user_ids(user) | {user.pk}


def can(user: User | None, action: str, entity: str, *, owner_id: int | None) -> bool:
    """Return True if `user` may do `action` on an item of `entity` whose responsible is `owner_id`."""
    allowed = owner_ids(user, entity, action)
    if allowed is None:
        return True
    return owner_id is not None and owner_id in allowed


def department_user_ids(user: User) -> set[int]:
    """Return the ids of the users in `user`'s department and its sub-departments."""
    cached = getattr(user, _DEPT_CACHE, None)
    if cached is not None:
        return cached
    ids: set[int] = set()
    if user.department_id:
        subtree = department_subtree_ids([user.department_id])
        ids = set(User.objects.filter(department_id__in=subtree).order_by().values_list("pk", flat=True))
    setattr(user, _DEPT_CACHE, ids)
    return ids


def department_subtree_ids(roots: Iterable[int]) -> set[int]:
    """Return the given departments and every department below them."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.order_by().values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children.get(pk, []))
    return found


def forget_rights(user: User) -> None:
    """Drop the rights cached on `user` (after its role or department changed)."""
    for attribute in (_CACHE, _DEPT_CACHE):
        if hasattr(user, attribute):
            delattr(user, attribute)
