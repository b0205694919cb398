"""`Idempotency-Key` on POST: a retried request creates nothing twice.

Every operation's `run` is wrapped (api.py). For a POST with the header, the wrapper
authenticates first (so the key belongs to a token), then runs the operation inside one
transaction together with the key's row: a successful answer is stored with the key and
replayed, byte for byte, to a retry with the same key and the same request; an error answer
rolls everything back, key included, so a retry runs again. The same key with a different
request is refused (409). Rate-limit headers are added to every answer here as well.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from voronka.api import services
from voronka.api.auth import SAFE_METHODS, BadRequest
from voronka.lib.errors import DomainError
from voronka.webhooks.selectors import one_read_of_subscriptions

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise BadRequest(
            "idempotency.bad_key",
            _("An Idempotency-Key is 1 to 255 visible ASCII characters (a UUID, say)."),
            details={"idempotency_key": _("Invalid.")},
        )
    return key


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _with_rate_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    decision = getattr(request, "rate_limit", None)
    if decision is not None:
        response["X-RateLimit-Limit"] = str(decision.limit)
        response["X-RateLimit-Remaining"] = str(decision.remaining)
        response["X-RateLimit-Reset"] = str(decision.reset_in)
    return response


def wrap_operation(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an operation's `run` with idempotency keys (POST) and rate-limit headers (all)."""
    operation = run.__self__  # type: ignore[attr-defined]

    @wraps(run)
    def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method in SAFE_METHODS:
            return _with_rate_headers(request, run(request, **kwargs))
        # A write publishes a few events on commit (created, stage entered…): the webhook
        # subscriptions are read once for all of them, not once per event.
        with one_read_of_subscriptions():
            if request.method != "POST" or key is None or not operation.auth_callbacks:
                return _with_rate_headers(request, run(request, **kwargs))
            return _with_rate_headers(request, _idempotent(operation, run, request, key, kwargs))

    return wrapper


def _idempotent(operation, run, request: HttpRequest, key: str, kwargs) -> HttpResponse:
    api = operation.api
    try:
        for authenticate in operation.auth_callbacks:
            authenticate(request)
        key = _check_key(key)
    except DomainError as error:
        return api.on_exception(request, error)
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            claim = services.claim_idempotency_key(token=request.api_token, key=key, fingerprint=fingerprint)
        except DomainError as error:
            return api.on_exception(request, error)
        if claim.replay:
            response = HttpResponse(
                claim.key.body, status=claim.key.status_code, content_type=claim.key.content_type
            )
            response[REPLAYED_HEADER] = "true"
            return response
        response = run(request, **kwargs)
        if not 200 <= response.status_code < 300 or response.streaming:
            # Nothing of a failed request stays, not even its key: a retry runs again.
            transaction.set_rollback(True)
            return response
        services.finish_idempotency_key(
            claim,
            status_code=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
            body=response.content.decode("utf-8"),
        )
    return response
