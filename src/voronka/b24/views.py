"""The /rest/ endpoint: Bitrix24 incoming-webhook URLs, answered in Bitrix24's envelope.

Bitrix24 checks that the method exists before the credentials, then the scope; the
leaky bucket comes after authentication. Every answer is JSON, never a redirect.
"""

import json
import time

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from voronka.b24 import protocol, throttle
from voronka.b24.methods import load
from voronka.b24.parsing import MalformedRequest, request_params
from voronka.b24.protocol import B24Error, Call
from voronka.b24.selectors import webhook_for
from voronka.b24.services import touch

load()

HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "origin, content-type, accept",
    "X-Content-Type-Options": "nosniff",
}


def answer(body: dict, status: int = 200) -> HttpResponse:
    """Return a JSON answer with Bitrix24's headers."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(text, status=status, content_type="application/json; charset=utf-8")
    for name, value in HEADERS.items():
        response[name] = value
    return response


def fail(error: B24Error) -> HttpResponse:
    return answer(protocol.error_body(error), status=error.status)


@csrf_exempt
def webhook_call(request: HttpRequest, user_id: str, code: str, method_name: str) -> HttpResponse:
    """Run a method called through an incoming webhook URL."""
    started = time.time()
    if request.method == "OPTIONS":
        return answer({"result": True})
    target = protocol.find(method_name)
    if target is None:
        return fail(protocol.method_not_found())
    webhook = webhook_for(user_id, code)
    if webhook is None:
        return fail(B24Error("INVALID_CREDENTIALS", "Invalid request credentials", status=401))
    if target.scope and target.scope not in webhook.scopes:
        return fail(
            B24Error(
                "insufficient_scope",
                "The request requires higher privileges than provided by the webhook token",
                status=401,
            )
        )
    if not throttle.allow(webhook.pk):
        return fail(B24Error("QUERY_LIMIT_EXCEEDED", "Too many requests", status=503))
    touch(webhook)
    try:
        params = request_params(request)
    except MalformedRequest as error:
        return fail(B24Error("ERROR_ARGUMENT", f"The request body cannot be read: {error}"))
    outcome = protocol.run(
        target, Call(user=webhook.user, webhook=webhook, params=params, name=target.name), started
    )
    if outcome.error is not None:
        return fail(outcome.error)
    return answer(protocol.success_body(outcome))


@csrf_exempt
def unauthenticated_call(request: HttpRequest, method_name: str) -> HttpResponse:
    """/rest/<method> without a webhook: OAuth applications are not supported."""
    if protocol.find(method_name) is None:
        return fail(protocol.method_not_found())
    return fail(B24Error("NO_AUTH_FOUND", "Wrong authorization data", status=401))


@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    """Anything else under /rest/."""
    return fail(protocol.method_not_found())
