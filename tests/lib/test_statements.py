"""lib.statements: PostgreSQL prepares the statements run through it; Django still sees them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.lib import statements

pytestmark = pytest.mark.django_db

SQL = "SELECT %s::text, %s::numeric, %s::timestamptz, %s::int IS NULL"


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_values_go_in_and_come_back_as_with_any_cursor():
    at = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    values = ["Привет 'x'", Decimal("15000.50"), at, None]
    sql = SQL if connection.vendor == "postgresql" else "SELECT %s, %s, %s, %s IS NULL"

    with CaptureQueriesContext(connection) as captured, statements.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()

    assert len(captured.captured_queries) == 1  # logged as any statement
    assert row[0] == "Привет 'x'" and Decimal(str(row[1])) == Decimal("15000.50") and row[3]
    if connection.vendor == "postgresql":
        assert row[2] == at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares; SQLite caches by itself")
def test_postgresql_keeps_the_statement_prepared_for_the_connection():
    with statements.cursor() as cursor:
        cursor.execute(SQL, ["a", 1, dt.datetime.now(dt.UTC), 1])

    assert any("$1::text" in statement for statement in _prepared())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares; SQLite caches by itself")
def test_the_setting_turns_preparing_off(settings):
    settings.VORONKA_PREPARED_STATEMENTS = False
    sql = SQL.replace("SELECT", "SELECT 2,")

    with statements.cursor() as cursor:
        cursor.execute(sql, ["a", 1, dt.datetime.now(dt.UTC), 1])

    assert not any("SELECT 2," in statement for statement in _prepared())


@pytest.mark.parametrize("internals", [True, False], ids=["cached conversion", "psycopg's own"])
def test_a_long_statement_gives_its_values_back_with_or_without_the_cached_conversion(monkeypatch, internals):
    # More than psycopg caches (50 values): converted once per process when psycopg's private
    # helpers are there, by psycopg itself every time when a release lacks them.
    if connection.vendor != "postgresql":
        pytest.skip("the conversion of placeholders is psycopg's")
    statements.cursor().close()  # builds the class, which reads what psycopg has
    if not internals:
        monkeypatch.setattr(statements, "_CONVERSION_INTERNALS", False)
    assert statements._CONVERSION_INTERNALS is internals
    values = list(range(60))
    sql = "SELECT " + ", ".join(["%s::int"] * len(values))
    for _ in range(2):
        with statements.cursor() as cursor:
            cursor.execute(sql, values)
            assert list(cursor.fetchone()) == values
