"""Django's connection health check, skipped for a connection that served a request a moment ago.

With CONN_HEALTH_CHECKS, Django checks a kept connection before the first statement of every
request (on PostgreSQL a `SELECT 1`: one more round trip for every API request, beside the
one to four statements the request needs). A connection that ended a request without an error
less than VORONKA_HEALTH_CHECK_AFTER seconds ago (1 s; 0 checks every request, as Django does)
is taken as healthy, as if it had just been checked: a worker under load serves request after
request on its connection, and checks it again after a pause. A database restarted within that
second fails the next request, as a connection that breaks during a request always did; Django
then closes the connection and the request after it gets a new one.

SQLite needs no check (Django's costs nothing there): the middleware takes itself out.
"""

import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

_USED_AT = "voronka_used_at"


def checked_aliases() -> list[str]:
    """The databases whose connections Django health-checks with a statement (not SQLite's)."""
    return [
        alias
        for alias, options in settings.DATABASES.items()
        if options.get("CONN_HEALTH_CHECKS") and "sqlite" not in options.get("ENGINE", "")
    ]


class RecentConnectionMiddleware:
    """Skip the health check of a connection that ended a request a moment ago (see above)."""

    def __init__(self, get_response) -> None:
        self.after = float(getattr(settings, "VORONKA_HEALTH_CHECK_AFTER", 1.0))
        checked = checked_aliases()
        if not checked or self.after <= 0:
            raise MiddlewareNotUsed
        self.aliases = checked
        self.get_response = get_response

    def __call__(self, request):
        now = time.monotonic()
        for alias in self.aliases:
            connection = connections[alias]
            if (
                connection.connection is not None
                and not connection.health_check_done
                and not connection.errors_occurred
                and now - getattr(connection, _USED_AT, -self.after) < self.after
            ):
                connection.health_check_done = True
        response = self.get_response(request)
        ended = time.monotonic()
        for alias in self.aliases:
            connection = connections[alias]
            if connection.connection is not None and not connection.errors_occurred:
                setattr(connection, _USED_AT, ended)
        return response
