"""voronka.lib.sqlite: write transactions queue on a lock file and start as soon as the one
before them ends (no sleep in SQLite's busy handler)."""

import threading
import time

import pytest
from django.db import OperationalError

from voronka.lib.sqlite.base import DatabaseWrapper


def _connection(path, alias: str, *, timeout: float = 20) -> DatabaseWrapper:
    settings = {
        "NAME": str(path),
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "TEST": {},
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
            "init_command": "PRAGMA journal_mode=WAL",
        },
    }
    return DatabaseWrapper(settings, alias=alias)


def _begin(connection: DatabaseWrapper) -> None:
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _commit(connection: DatabaseWrapper) -> None:
    connection.commit()
    connection.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker):
    """These connections go to files of the test's own, not to the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "queue.sqlite3"
    setup = _connection(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n integer)")
    setup.close()
    return path


def test_a_second_writer_waits_in_the_queue_and_starts_when_the_first_commits(database):
    first = _connection(database, "first")
    _begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    started, done = threading.Event(), threading.Event()
    waited: list[float] = []

    def second_writer():
        second = _connection(database, "second")
        started.set()
        began = time.monotonic()
        _begin(second)
        waited.append(time.monotonic() - began)
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        _commit(second)
        second.close()
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    started.wait()
    time.sleep(0.3)
    assert not done.is_set()  # queued behind the first writer
    _commit(first)
    thread.join(timeout=5)

    assert done.is_set() and 0.25 < waited[0] < 5
    assert (database.parent / "queue.sqlite3-writers").exists()
    with first.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]
    first.close()


def test_a_rolled_back_or_closed_writer_leaves_the_queue(database):
    first = _connection(database, "first")
    _begin(first)
    first.rollback()
    first.set_autocommit(True)
    _begin(first)
    first.close()

    second = _connection(database, "second", timeout=0.1)
    _begin(second)  # would wait for ever if either had kept its place
    _commit(second)
    second.close()


def test_a_thread_s_second_connection_does_not_wait_for_the_first(database):
    first = _connection(database, "first")
    second = _connection(database, "second", timeout=0.1)
    _begin(first)

    with pytest.raises(OperationalError):  # SQLite's own lock and busy timeout decide, as before
        _begin(second)

    first.rollback()
    first.close()
    second.close()
