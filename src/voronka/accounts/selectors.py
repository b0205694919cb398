"""Reads on users, departments and roles."""

from django.db.models import QuerySet

from voronka.accounts.models import Department, Role, User
from voronka.lib.errors import NotFound


def active_users() -> QuerySet[User]:
    """Return the people who can be made responsible for items (not the system user)."""
    return User.objects.filter(is_active=True, is_system=False).select_related("department", "role")


def get_user(user_id: int) -> User:
    """Return an active user by id, or raise NotFound."""
    try:
        return active_users().get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("user.not_found", "User not found.") from None


def departments() -> QuerySet[Department]:
    """Return every department, parents first by sort order."""
    return Department.objects.select_related("parent", "head")


def roles() -> QuerySet[Role]:
    """Return every role with its rights."""
    return Role.objects.prefetch_related("permissions")
