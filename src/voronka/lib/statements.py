"""A cursor for the few statements every request runs, prepared once per connection.

Django sends PostgreSQL each statement as text with its values spelled in (client-side
binding), so the server parses and plans it again on every request, and psycopg builds the
text in Python. The statements every create or list runs the same way (the token look-up, the
inserts of an item, its history row and timeline entry) are better prepared: PostgreSQL keeps
their plan for the connection, and the values travel apart (server-side binding). The cursor is
wrapped by Django as any other (execute wrappers, CaptureQueriesContext); a logged statement
shows its placeholders, its values beside it.

`PREPARED_STATEMENTS=false` (the environment; the setting VORONKA_PREPARED_STATEMENTS) turns it
off: a connection pooler in transaction mode older than PgBouncer 1.21 cannot follow prepared
statements. SQLite prepares
and keeps every statement by itself (the sqlite3 module's statement cache): nothing to do there.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def cursor() -> CursorWrapper:
    """Return a cursor of the default connection whose statements PostgreSQL prepares."""
    connection = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs per use
    if connection.vendor != "postgresql" or not getattr(settings, "VORONKA_PREPARED_STATEMENTS", True):
        return connection.cursor()
    # As connection.cursor() does, with a cursor class of our own.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None); a threshold never reached turns it on for
        # the statements that ask (ours), and leaves Django's own cursors unprepared as before.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    prepared = _prepared_class()(raw)
    connection.validate_thread_sharing()
    if connection.queries_logged:
        return _Logged(prepared, connection)
    return connection.make_cursor(prepared)


class _Logged(CursorDebugWrapper):
    """Logs a statement as written, with its values apart: Django would show the text it sent
    with client-side binding, and there is none with server-side binding."""

    @contextmanager
    def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
        with super().debug_sql(sql, params, use_last_executed_query=False, many=many):
            yield


_ONLY_WHEN_ASKED = 2**62


_CLASS: list[type] = []
_CONVERTED: dict[tuple[str, str], tuple] = {}
_MAX_CONVERTED = 200
_CONVERSION_INTERNALS = False


def _prepared_class() -> type:
    if not _CLASS:
        from django.db.backends.postgresql.base import ServerBindingCursor
        from psycopg import _queries

        # The per-process conversion below leans on psycopg's private helpers (3.2-3.3); a
        # release without them gets psycopg's own conversion, unchanged, instead of errors.
        global _CONVERSION_INTERNALS
        _CONVERSION_INTERNALS = all(
            hasattr(_queries, name)
            for name in ("MAX_CACHED_STATEMENT_LENGTH", "MAX_CACHED_STATEMENT_PARAMS", "_query2pg_nocache")
        )

        class PreparedCursor(ServerBindingCursor):
            """Server-side binding, and every statement prepared (psycopg keeps 100 a connection)."""

            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

            def _convert_query(self, query, params=None):
                # psycopg keeps the conversion of a statement's "%s" into "$n" only for a
                # statement under 4 kB and 50 values (an ORM's INSERT of N rows has endless
                # shapes); ours are few and fixed (a create's one INSERT … WITH has ~60 values),
                # so each is converted once per process, not at every execute.
                if (
                    not _CONVERSION_INTERNALS
                    or params is None
                    or not isinstance(query, str)
                    or (
                        len(query) <= _queries.MAX_CACHED_STATEMENT_LENGTH
                        and len(params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
                    )
                ):
                    return super()._convert_query(query, params)
                encoding = self._tx.encoding
                converted = _CONVERTED.get((query, encoding))
                if converted is None:
                    if len(_CONVERTED) >= _MAX_CONVERTED:
                        _CONVERTED.clear()
                    converted = _queries._query2pg_nocache(query.encode(encoding), encoding)
                    _CONVERTED[(query, encoding)] = converted
                converted_query = self._query_cls(self._tx)
                (
                    converted_query.query,
                    converted_query._want_formats,
                    converted_query._order,
                    converted_query._parts,
                ) = converted
                converted_query.dump(params)
                return converted_query

        _CLASS.append(PreparedCursor)
    return _CLASS[0]
