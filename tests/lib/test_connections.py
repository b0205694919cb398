"""voronka.lib.connections: no health check for a connection that ended a request a moment ago."""

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.db import connection, connections
from django.http import HttpResponse
from django.test import RequestFactory

from voronka.lib import connections as module
from voronka.lib.connections import RecentConnectionMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(monkeypatch):
    """The default database as one whose connections Django health-checks (PostgreSQL's case)."""
    monkeypatch.setattr(module, "checked_aliases", lambda: ["default"])
    connection.ensure_connection()
    connection.errors_occurred = False
    # what the site's own middleware noted in earlier tests' requests, on the real clock
    vars(connections["default"]).pop(module._USED_AT, None)


def _serve(middleware, clock, monkeypatch, at: float) -> bool:
    """Serve one request at `at` seconds; return whether its connection counted as checked."""
    monkeypatch.setattr(module.time, "monotonic", lambda: clock + at)
    connection.health_check_done = False  # as Django leaves it when a request starts
    seen = []
    middleware.get_response = lambda request: seen.append(connection.health_check_done) or HttpResponse()
    middleware(RequestFactory().get("/api/v1/leads"))
    return seen[0]


def test_a_connection_used_a_moment_ago_is_not_checked_again(checked, monkeypatch):
    middleware = RecentConnectionMiddleware(lambda request: HttpResponse())
    first = _serve(middleware, 1000.0, monkeypatch, at=0.0)
    soon = _serve(middleware, 1000.0, monkeypatch, at=0.5)
    later = _serve(middleware, 1000.0, monkeypatch, at=5.0)

    assert (first, soon, later) == (False, True, False)  # False: Django checks it before its first statement


def test_a_connection_that_had_an_error_is_checked(checked, monkeypatch):
    middleware = RecentConnectionMiddleware(lambda request: HttpResponse())
    _serve(middleware, 1000.0, monkeypatch, at=0.0)
    connection.errors_occurred = True
    try:
        assert _serve(middleware, 1000.0, monkeypatch, at=0.1) is False
    finally:
        connection.errors_occurred = False


def test_only_databases_checked_with_a_statement_are_watched():
    assert module.checked_aliases() == ([] if connection.vendor == "sqlite" else ["default"])


def test_a_zero_setting_takes_the_middleware_out(checked, settings):
    settings.VORONKA_HEALTH_CHECK_AFTER = 0
    with pytest.raises(MiddlewareNotUsed):
        RecentConnectionMiddleware(lambda request: HttpResponse())
