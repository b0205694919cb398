"""SQLite: the forecast's training groups its entries with SQLite's default sorter memory."""

import pytest
from django.db import connection

from tests.analytics.conftest import at
from voronka.analytics import sql as report_sql
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors import forecast as forecast_module

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's sorter settings"),
]


def _pragmas() -> dict:
    values = {}
    with connection.cursor() as cursor:
        for name in report_sql.SORT_PRAGMAS:
            cursor.execute(f"PRAGMA {name}")
            values[name] = cursor.fetchone()[0]
    return values


def test_a_query_sorts_with_the_defaults_and_the_connection_gets_its_settings_back():
    before = _pragmas()
    assert before != report_sql.SORT_PRAGMAS  # the settings raise them for the web requests

    with report_sql.small_sorts_on():
        assert _pragmas() == report_sql.SORT_PRAGMAS
    assert _pragmas() == before

    with report_sql.small_sorts_on(enabled=False):
        assert _pragmas() == before


def test_the_training_runs_with_small_sorts(admin, general_pipeline, monkeypatch):
    seen = []
    fetch = report_sql.fetch

    def spy(sql, params, **options):
        rows = fetch(sql, params, **options)
        seen.append(options.get("small_sorts", False))
        return rows

    monkeypatch.setattr(forecast_module, "fetch", spy)
    report = parse_filter({"pipeline": general_pipeline.pk}, now=at("2025-06-01 12:00"))
    forecast_module.forecast(admin, report)

    assert seen.count(True) == 1  # the training (one pass for now and the backtest dates)
    assert _pragmas() != report_sql.SORT_PRAGMAS
