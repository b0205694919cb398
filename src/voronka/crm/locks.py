"""Row locks for read-modify-write (select_for_update; SQLite's IMMEDIATE transactions serialise writers)."""

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock(obj: M) -> M:
    """Return a fresh copy of `obj` read under a row lock (inside a transaction)."""
    return type(obj).objects.select_for_update().get(pk=obj.pk)


def lock_many(model: type[M], ids: list[int]) -> list[M]:
    """Lock rows of `model` in primary-key order (a fixed order avoids deadlocks)."""
    return list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
