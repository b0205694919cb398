"""Kill `voronka import` half-way with SIGKILL, run it again: exactly one copy of every row.

The import runs in a subprocess against a scratch database of its own (a file for SQLite, a
database on the same server for PostgreSQL), because the test database is not visible to another
process. Duplicate control is off (`--on-duplicate create`), so only the job's progress, committed
with each batch, can keep rows from being imported twice.
"""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

ROWS = 30_000


@pytest.fixture
def scratch_database(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'kill.sqlite3'}"
        return
    import psycopg

    server, _slash, _name = url.rpartition("/")
    name = f"voronka_kill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(database: str, sql: str):
    if database.startswith("sqlite"):
        with sqlite3.connect(database.removeprefix("sqlite:///"), timeout=30) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(database) as conn:
        return conn.execute(sql).fetchall()


def voronka(database: str, *args: str, tmp_path, **popen) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database, "VORONKA_VAR_DIR": str(tmp_path / "var")}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "voronka.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **popen,
    )


def progress(database: str) -> int:
    try:
        rows = query(database, "SELECT rows_done FROM imports_importjob")
    except Exception:  # the table is not there yet (sqlite3 or psycopg error)
        return 0
    return rows[0][0] if rows else 0


def test_a_killed_import_run_again_gives_exactly_one_copy_of_every_row(scratch_database, tmp_path):
    # given
    path = tmp_path / "leads.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Имя", "Фамилия", "Мобильный телефон", "E-mail"])
        for n in range(ROWS):
            writer.writerow([f"Имя{n}", "Петров", f"+7 916 {n:07d}", f"lead{n}@example.ru"])
    migrate = voronka(scratch_database, "migrate", "-v", "0", tmp_path=tmp_path)
    assert migrate.wait(timeout=300) == 0, migrate.stderr.read().decode()
    command = (
        "import",
        "leads",
        str(path),
        "--on-duplicate",
        "create",
        "--errors",
        str(tmp_path / "errors.csv"),
    )

    # when: killed once two batches are in
    first = voronka(scratch_database, *command, tmp_path=tmp_path)
    deadline = time.monotonic() + 300
    while progress(scratch_database) < 4000 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=60)

    # then: what is in the database is exactly what the job says is done
    done = progress(scratch_database)
    assert 0 < done < ROWS, f"the import was not caught half-way ({done} rows)"
    assert first.returncode == -signal.SIGKILL
    assert query(scratch_database, "SELECT COUNT(*) FROM crm_lead")[0][0] == done
    assert query(scratch_database, "SELECT status FROM imports_importjob")[0][0] == "running"

    # when: the same command again
    second = voronka(scratch_database, *command, tmp_path=tmp_path)
    out, err = second.communicate(timeout=600)

    # then
    assert second.returncode == 0, err.decode()[-3000:]
    assert "Resuming import" in out.decode()
    assert query(scratch_database, "SELECT COUNT(*) FROM crm_lead")[0][0] == ROWS
    assert (
        query(
            scratch_database, "SELECT COUNT(DISTINCT normalized) FROM crm_communication WHERE kind = 'email'"
        )[0][0]
        == ROWS
    )
    assert query(scratch_database, "SELECT COUNT(*) FROM crm_stagehistory")[0][0] == ROWS
    assert query(scratch_database, "SELECT rows_done, created_count, status FROM imports_importjob") == [
        (ROWS, ROWS, "done")
    ]
