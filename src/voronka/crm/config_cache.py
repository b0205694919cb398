"""Configuration read once per process while it does not change (pipelines, sources, settings…).

Every write to a configuration table sets a new random stamp in crm_configversion (database
triggers, so bulk updates, the admin and raw SQL are all seen, from every process). `cached()`
reads the stamp (one small statement) and returns what this process loaded under the same
stamp, or loads it again. Without the stamp row (a test database just flushed) nothing is kept.

The stamp is read before the data: a change committed in between leaves a newer stamp than
the one the data is filed under, so it is loaded again next time, never kept stale.
"""

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, migrations

from voronka.crm.models import ConfigVersion

T = TypeVar("T")
_cache: dict[tuple[str, str], tuple[int, object]] = {}


def current_version() -> int | None:
    """Return the configuration stamp, or None when there is none."""
    table = connection.ops.quote_name(ConfigVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")  # noqa: S608 - table name from the model
        row = cursor.fetchone()
    return row[0] if row else None


def cached(name: str, load: Callable[[], T]) -> T:
    """Return `load()`'s value as this process last loaded it under the current stamp."""
    version = current_version()
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
