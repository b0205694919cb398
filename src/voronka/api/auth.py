"""Token authentication and the per-token rate limit.

`Authorization: Bearer <token>` (or `Token <token>`). The token's user becomes `request.auth`;
the token itself is `request.api_token`. A read-only token may only read. Every authenticated
request is counted against the token's rate limit before the operation runs.
"""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security.http import HttpAuthBase

from voronka.accounts.models import User
from voronka.accounts.selectors import active_token
from voronka.accounts.services import touch_token
from voronka.api import services
from voronka.crm import config_cache
from voronka.lib.errors import DomainError, Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SCHEMES = frozenset({"bearer", "token"})
_RESULT = "_voronka_auth"


class Unauthenticated(DomainError):
    """No token, or one that does not work (401)."""

    default_code = "auth.required"


class RateLimited(DomainError):
    """Too many requests for this token in the current window (429)."""

    default_code = "rate_limited"

    def __init__(self, *, retry_after: int, limit: int):
        super().__init__(
            "rate_limited",
            _("Too many requests; retry in %(seconds)d s.") % {"seconds": retry_after},
            details={"retry_after": retry_after, "limit": limit},
        )
        self.retry_after = retry_after


class BadRequest(DomainError):
    """The request itself is malformed (400)."""

    default_code = "request.malformed"


class TokenAuth(HttpAuthBase):
    """Personal API tokens."""

    openapi_scheme = "bearer"
    openapi_description = "A personal API token: `voronka token create --user <login>`."

    def __call__(self, request: HttpRequest) -> User | None:
        # The idempotency wrapper authenticates before the operation does: one count per request.
        if _RESULT in request.__dict__:
            user, error = request.__dict__[_RESULT]
        else:
            try:
                user, error = self.authenticate(request), None
            except DomainError as raised:
                user, error = None, raised
            request.__dict__[_RESULT] = (user, error)
        if error is not None:
            raise error
        return user

    def authenticate(self, request: HttpRequest) -> User:
        scheme, _space, raw = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() not in _SCHEMES or not raw.strip():
            raise Unauthenticated("auth.required", _("Send a token: Authorization: Bearer <token>."))
        # The configuration stamp comes with the token: one statement fewer in every request.
        token = active_token(raw, with_column=config_cache.stamp_subquery())
        if token is None:
            raise Unauthenticated("auth.invalid_token", _("The token is unknown or revoked."))
        config_cache.adopt_stamp(token.also_read)
        decision = services.count_request(token)
        request.rate_limit = decision
        if not decision.allowed:
            raise RateLimited(retry_after=decision.reset_in, limit=decision.limit)
        touch_token(token)
        if token.is_read_only and request.method not in SAFE_METHODS:
            raise Forbidden("token.read_only", _("This token may only read."))
        _check_query(request)
        request.api_token = token
        return token.user


def _check_query(request: HttpRequest) -> None:
    """Refuse NUL characters in the query string (no database stores them)."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise BadRequest("request.nul_character", _("The request contains a NUL character."))
