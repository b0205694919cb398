"""Configuration read once per process while it does not change (pipelines, sources, settings…).

Every write to a configuration table sets a new random stamp in crm_configversion (database
triggers, so bulk updates, the admin and raw SQL are all seen, from every process). `cached()`
reads the stamp (one small statement) and returns what this process loaded under the same
stamp, or loads it again. Without the stamp row (a test database just flushed) nothing is kept.

The stamp is read before the data: a change committed in between leaves a newer stamp than
the one the data is filed under, so it is loaded again next time, never kept stale.

Within a request (ConfigStampMiddleware, `per_request()`) the stamp is read once, at the first
`cached()` call (or with the request's first statement, `stamp_subquery()` and `adopt_stamp()`:
the API reads it with the token), and reused: the request sees the configuration as it was
then, as if it had read all of it at once. A request that writes to a configuration table itself (any statement
but a SELECT naming one of the tables the triggers watch, seen by an execute wrapper) reads
the stamp at every call from then on, as outside a request, so its own changes — and their
rollback — are seen at once.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import connection, migrations

from voronka.crm.models import ConfigVersion

T = TypeVar("T")
_cache: dict[tuple[str, str], tuple[int, object]] = {}
_UNREAD = object()
_watched: dict[str, re.Pattern[str]] = {}  # by database vendor: the watched tables' names


def current_version() -> int | None:
    """Return the configuration stamp, or None when there is none."""
    table = connection.ops.quote_name(ConfigVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")  # noqa: S608 - table name from the model
        row = cursor.fetchone()
    return row[0] if row else None


def stamp_subquery() -> str:
    """SQL reading the stamp as a column of another statement (the API's token look-up)."""
    table = connection.ops.quote_name(ConfigVersion._meta.db_table)
    return f"(SELECT version FROM {table} WHERE id = 1)"  # noqa: S608 - table name from the model


def adopt_stamp(version: int | None) -> None:
    """Use `version`, read by the request's first statement (`stamp_subquery`), as its stamp."""
    scope = getattr(connection, "config_stamp_scope", None)
    if scope is not None and not scope.written and scope.stamp is _UNREAD:
        scope.stamp = version


def cached(name: str, load: Callable[[], T]) -> T:
    """Return `load()`'s value as this process last loaded it under the current stamp."""
    version = _request_version()
    if version is None:
        return load()
    key = (connection.alias, name)
    entry = _cache.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]  # type: ignore[return-value]
    value = load()
    _cache[key] = (version, value)
    return value


def clear() -> None:
    """Forget everything kept (tests)."""
    _cache.clear()


class _Scope:
    """The stamp one request has read (`stamp`), unless it has written to a watched table."""

    __slots__ = ("stamp", "written")

    def __init__(self) -> None:
        self.stamp: object = _UNREAD
        self.written = False


def _request_version() -> int | None:
    scope = getattr(connection, "config_stamp_scope", None)
    if scope is None or scope.written:
        return current_version()
    if scope.stamp is _UNREAD:
        scope.stamp = current_version()
    return scope.stamp  # type: ignore[return-value]


@contextmanager
def per_request() -> Iterator[None]:
    """Read the configuration stamp at most once inside this block (one request)."""
    outer = getattr(connection, "config_stamp_scope", None)
    scope = _Scope()

    def watch_writes(execute, sql, params, many, context):
        if not scope.written and _writes_config(sql):
            scope.written = True
        return execute(sql, params, many, context)

    connection.config_stamp_scope = scope
    try:
        with connection.execute_wrapper(watch_writes):
            yield
    finally:
        connection.config_stamp_scope = outer


# By database vendor and statement: whether it writes to a watched table. The statements a
# process runs are few and repeat (the request's inserts are built once per model), so the
# look-up replaces a regular-expression search of every statement's text.
_writes: dict[tuple[str, object], bool] = {}
_MAX_WRITES = 2_000


def _writes_config(sql: object) -> bool:
    key = (connection.vendor, sql)
    try:
        return _writes[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable statement (a Composed one, say): not kept
        return not _is_select(sql) and bool(_watched_tables().search(str(sql)))
    found = not _is_select(sql) and bool(_watched_tables().search(str(sql)))
    if connection.vendor in _watched:  # the tables are known (not the match-all of no triggers)
        if len(_writes) >= _MAX_WRITES:
            _writes.clear()
        _writes[key] = found
    return found


def _is_select(sql: object) -> bool:
    return isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT"


def _watched_tables() -> re.Pattern[str]:
    """The tables whose triggers set the stamp, as the database has them (read once a process:
    a migration that watches another table is followed by a restart, as any new code is)."""
    vendor = connection.vendor
    if vendor not in _watched:
        if vendor == "sqlite":
            query = "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_config_%'"
        elif vendor == "postgresql":
            query = (
                "SELECT DISTINCT event_object_table FROM information_schema.triggers"
                " WHERE trigger_name LIKE '%_config'"
            )
        else:
            query = None
        tables = []
        if query:
            with connection.cursor() as cursor:
                cursor.execute(query)
                tables = sorted(row[0] for row in cursor.fetchall())
        if not tables:  # no triggers (yet): every write counts, and the list is read again
            return re.compile(r"")
        # A name as a whole word: crm_stage, not crm_stagehistory.
        _watched[vendor] = re.compile(r"\b(?:" + "|".join(map(re.escape, tables)) + r")\b")
    return _watched[vendor]


class ConfigStampMiddleware:
    """Every request reads the configuration stamp at most once (see `per_request`)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with per_request():
            return self.get_response(request)


# --- the triggers (used by the migrations of every app that owns a configuration table) -------
_FUNCTION = "crm_config_changed"


def _install(table: str):
    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        quote = schema_editor.connection.ops.quote_name
        stamp = quote(ConfigVersion._meta.db_table)
        if vendor == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {quote(f'{table}_config_{event.lower()}')} AFTER {event} ON {quote(table)} "  # noqa: S608 - names from code
                    f"BEGIN UPDATE {stamp} SET version = random() WHERE id = 1; END"
                )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "  # noqa: S608 - names from code
                f"BEGIN UPDATE {stamp} SET version = (random() * 9e18)::bigint WHERE id = 1; RETURN NULL; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {quote(f'{table}_config')} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()"
            )
        else:
            # Another database: no triggers, so no stamp row either, and nothing is ever kept.
            schema_editor.execute(f"DELETE FROM {stamp}")  # noqa: S608

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        quote = schema_editor.connection.ops.quote_name
        if vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{table}_config_{event}')}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{table}_config')} ON {quote(table)}")

    return forwards, backwards


def watch(*tables: str) -> list[migrations.RunPython]:
    """Migration operations: writes to `tables` set a new configuration stamp."""
    operations = []
    for table in tables:
        forwards, backwards = _install(table)
        operations.append(migrations.RunPython(forwards, backwards, elidable=False))
    return operations
