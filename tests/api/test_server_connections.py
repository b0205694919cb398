"""A server keeps its database connection between requests and still sees every change.

Requests here go straight to the WSGI application in a thread of their own, as a server's
worker sends them: Django's request signals run (the test client skips them), and the thread
has its own connection, which the server keeps (CONN_MAX_AGE) from one request to the next.
"""

import json
import threading
from io import BytesIO

import pytest
from django.conf import settings
from django.db import connection, connections

from voronka.accounts.services import create_token, system_user
from voronka.crm import config_cache
from voronka.crm.models import ConfigVersion
from voronka.crm.services.modes import set_mode
from voronka.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_connections_are_kept_between_requests_on_every_database():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0


class Worker:
    """One server thread: runs `send(...)` calls in order on its own connection."""

    def __init__(self) -> None:
        self.jobs: list = []
        self.ready = threading.Event()
        self.done = threading.Event()
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                self.ready.wait()
                self.ready.clear()
                job = self.jobs.pop()
                if job is None:
                    return
                self.result = job()
                self.done.set()
        finally:
            connections.close_all()

    def call(self, job):
        self.done.clear()
        self.jobs.append(job)
        self.ready.set()
        assert self.done.wait(30)
        return self.result

    def stop(self) -> None:
        self.jobs.append(None)
        self.ready.set()
        self.thread.join(30)


def _post(path: str, body: dict, token: str) -> tuple[int, dict, object]:
    raw = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": BytesIO(raw),
        "wsgi.url_scheme": "http",
    }
    status: list[str] = []
    chunks = application(environ, lambda line, headers: status.append(line))
    try:
        body_out = b"".join(chunks)
    finally:
        chunks.close()  # request_finished: where a server's connection is closed or kept
    return int(status[0].split()[0]), json.loads(body_out), connection.connection


def test_a_configuration_change_is_seen_by_the_next_request_on_a_kept_connection(manager, admin):
    ConfigVersion.objects.get_or_create(pk=1, defaults={"version": 1})  # a flushed database has none
    config_cache.clear()
    _token, raw = create_token(user=manager, actor=system_user())
    worker = Worker()
    try:
        first, lead, kept = worker.call(lambda: _post("/api/v1/leads", {"title": "Before"}, raw))
        set_mode("simple", actor=admin)  # committed by another connection: a change from outside
        second, converted, again = worker.call(lambda: _post("/api/v1/leads", {"title": "After"}, raw))
    finally:
        worker.stop()

    assert (first, lead["stage"]["code"]) == (201, "NEW")
    # simple mode converts a new lead at once: the worker did not keep the classic mode
    assert (second, converted["stage"]["code"]) == (201, "CONVERTED")
    assert kept is not None and again is kept  # the same connection served both requests
