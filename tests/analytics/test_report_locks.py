"""A report reads without holding up writers: on SQLite its queries take no write lock."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections

from voronka.accounts.models import Department
from voronka.analytics import sql
from voronka.analytics.selectors.time_in_stage import time_in_stage

pytestmark = pytest.mark.django_db(transaction=True)


def write_in_another_connection() -> BaseException | None:
    """Create a department from a thread of its own (its own connection), waiting at most a second
    for a lock; return the error, or None when the row was written."""
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 1000")
            Department.objects.create(name="Written meanwhile")
            outcome.append(None)
        except BaseException as error:  # handed to the test to report
            outcome.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(30)
    assert outcome, "the write did not finish"
    return outcome[0]


def test_a_write_goes_through_while_a_report_reads(admin):
    with sql.session():
        assert sql.fetch(
            "SELECT COUNT(*) FROM accounts_department WHERE name = %s", ["Written meanwhile"]
        ) == [(0,)]
        assert write_in_another_connection() is None
    assert Department.objects.filter(name="Written meanwhile").count() == 1


def test_a_report_with_history_lets_a_write_through_between_its_queries(
    admin, march, march_deals, monkeypatch
):
    real_session = sql.session
    writes: list[BaseException | None] = []

    @contextmanager
    def session_then_write():
        with real_session():
            yield
            writes.append(write_in_another_connection())

    monkeypatch.setattr(sql, "session", session_then_write)
    report = time_in_stage(admin, march)
    assert {s.code: s.dwell.n for s in report.stages}["NEW"] == 5
    assert writes and writes == [None] * len(writes)
    assert Department.objects.filter(name="Written meanwhile").count() == len(writes)
