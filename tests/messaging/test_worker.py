"""The real `voronka worker` process against a real SMTP server, killed mid-send and restarted.

The worker runs in its own database (a temporary SQLite file, or a throw-away PostgreSQL
database beside the test one), seeded by `voronka shell`; the test reads it with plain SQL.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest

from tests.messaging.smtp_server import Received, SmtpServer

SEED = """
import json
from voronka.accounts.services import create_user
from voronka.crm.services.leads import create_lead
from voronka.messaging.services.compose import send_email
user = create_user(username="{user}", first_name="Ivan", last_name="Ivanov", role="manager")
lead = create_lead(actor=user, title="Worker test", first_name="Anna", emails=["anna{n}@romashka.ru"])
ids = [send_email(lead, actor=user, subject="Offer %d" % n,
                  body="<p>Hello {{{{ lead.first_name }}}}, see <a href='https://shop.example/%d'>this</a></p>" % n).pk
       for n in range({count})]
print(json.dumps({{"lead": lead.pk, "messages": ids}}))
"""


class WorkerDatabase:
    def __init__(self, tmp_path):
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = base.startswith("postgres")
        if self.postgres:
            import psycopg

            self.name = f"{base.rsplit('/', 1)[1]}_worker_{uuid.uuid4().hex[:8]}"
            self.admin_url = base.rsplit("/", 1)[0] + "/postgres"
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = base.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "TASKS_BACKEND": "db",
            "VORONKA_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "worker-test-secret",
            "PUBLIC_URL": "https://crm.voronka.test",
            "DEFAULT_FROM_EMAIL": "Voronka <crm@voronka.test>",
            "MESSAGING_SEND_LEASE": "2",
            "HOUSEKEEPING_INTERVAL": "0.5",
            "LOG_LEVEL": "WARNING",
        }
        self.voronka("migrate", "--noinput", "-v", "0")

    def voronka(self, *args: str, timeout: float = 180, email_url: str = "console://") -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "voronka.cli", *args],
            env={**self.env, "EMAIL_URL": email_url},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def worker(self, email_url: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "voronka.cli", "worker", "--interval", "0.2"],
            env={**self.env, "EMAIL_URL": email_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def seed(self, n: int, count: int) -> dict:
        code = SEED.format(user=f"worker{n}", n=n, count=count)
        return json.loads(self.voronka("shell", "-c", code).strip().splitlines()[-1])

    def statuses(self, ids: list[int]) -> dict[int, str]:
        marks = ",".join(str(int(pk)) for pk in ids)
        sql = f"SELECT id, status FROM messaging_message WHERE id IN ({marks})"  # noqa: S608 - integers
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return dict(conn.execute(sql).fetchall())
        with sqlite3.connect(self.path) as conn:
            return dict(conn.execute(sql).fetchall())

    def drop(self) -> None:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def worker_db(tmp_path_factory):
    database = WorkerDatabase(tmp_path_factory.mktemp("worker"))
    yield database
    database.drop()


def wait_until(predicate, timeout: float = 60.0, step: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def final(worker_db, ids):
    statuses = worker_db.statuses(ids)
    return statuses if all(s in ("sent", "failed", "uncertain") for s in statuses.values()) else None


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_the_real_worker_sends_an_email_with_headers_body_and_pixel(worker_db):
    with SmtpServer() as server:
        seeded = worker_db.seed(1, 1)
        worker = worker_db.worker(server.url)
        try:
            statuses = wait_until(lambda: final(worker_db, seeded["messages"]))
        finally:
            kill(worker)
    assert list(statuses.values()) == ["sent"]
    [got] = server.recorder.received
    mime = got.message
    assert mime["Subject"] == "Offer 0" and mime["To"].addresses[0].addr_spec == "anna1@romashka.ru"
    assert mime["Message-ID"].endswith("@voronka.test>")
    assert "Hello Anna" in mime.get_body(("plain",)).get_content()
    assert '<img src="https://crm.voronka.test/t/o/' in mime.get_body(("html",)).get_content()


def test_a_worker_killed_while_the_server_receives_and_restarted_sends_each_message_exactly_once(worker_db):
    # given: five e-mails; the server holds its answer to the third one's data
    with SmtpServer() as server:
        seeded = worker_db.seed(2, 5)
        ids = seeded["messages"]
        recorder = server.recorder
        original = recorder.handle_DATA

        async def hold_third(srv, session, envelope):
            import asyncio

            if len(recorder.received) != 2:
                return await original(srv, session, envelope)
            recorder.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            await asyncio.sleep(30)
            return "250 2.0.0 Queued"

        recorder.handle_DATA = hold_third

        # when: the worker is killed while the server has the third message but has not answered
        first = worker_db.worker(server.url)
        try:
            wait_until(lambda: len(recorder.received) >= 3, timeout=60)
        finally:
            kill(first)
        second = worker_db.worker(server.url)
        try:
            statuses = wait_until(lambda: final(worker_db, ids), timeout=90)
        finally:
            kill(second)

    # then: every message reached the server exactly once; the interrupted one is "uncertain", not resent
    received = Counter(r.message["Message-ID"] for r in recorder.received)
    assert len(received) == 5 and set(received.values()) == {1}
    assert sorted(statuses.values()) == ["sent", "sent", "sent", "sent", "uncertain"]
    assert statuses[ids[2]] == "uncertain"


def test_a_worker_killed_before_the_hand_over_and_restarted_sends_each_message_exactly_once(worker_db):
    # given: four e-mails; the server stalls at the second one's recipient (before any data)
    with SmtpServer() as server:
        seeded = worker_db.seed(3, 4)
        ids = seeded["messages"]
        server.recorder.stall_rcpt, server.recorder.rcpt_delay = 2, 30

        # when: the worker is killed there and restarted
        first = worker_db.worker(server.url)
        try:
            server.recorder.rcpt_event.wait(timeout=60)
            assert server.recorder.rcpt_event.is_set()
        finally:
            kill(first)
        second = worker_db.worker(server.url)
        try:
            statuses = wait_until(lambda: final(worker_db, ids), timeout=90)
        finally:
            kill(second)

    # then: the stalled message was sent again (the server never had it), each exactly once
    received = Counter(r.message["Message-ID"] for r in server.recorder.received)
    assert len(received) == 4 and set(received.values()) == {1}
    assert set(statuses.values()) == {"sent"}
