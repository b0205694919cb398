"""The API v1: one NinjaAPI, its authentication, and the only place errors become HTTP.

Every error answer is `{"error": {"code", "message", "details"}}`:
NotFound 404, Invalid 422 (400 for a malformed request), Refused 409, Conflict 409,
Forbidden 403, no or bad token 401, too many requests 429 (with Retry-After).
"""

import json
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from voronka.api.auth import BadRequest, RateLimited, TokenAuth, Unauthenticated
from voronka.api.idempotency import HEADER, wrap_operation
from voronka.lib.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Refused

logger = logging.getLogger(__name__)

# Subclasses first: the first kind an error is an instance of decides.
HTTP_STATUS: list[tuple[type[DomainError], int]] = [
    (Unauthenticated, 401),
    (RateLimited, 429),
    (BadRequest, 400),
    (NotFound, 404),
    (Forbidden, 403),
    (Invalid, 422),
    (Refused, 409),
    (Conflict, 409),
    (DomainError, 400),
]
ERROR_STATUSES = {
    400: _("The request is malformed."),
    401: _("No token, or a token that does not work."),
    403: _("The token may not do this."),
    404: _("Not found (or outside your access scope)."),
    409: _("A business rule or the current state refuses it."),
    422: _("Some input is invalid; `details` names the fields."),
    429: _("Too many requests; see Retry-After."),
}


class StrictJsonParser(Parser):
    """JSON bodies; a NUL character or a lone surrogate is refused (no database stores them)."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        _check_strings(data)
        return data


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not _encodes(item):
                raise ValueError("NUL character or lone surrogate in a string")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _encodes(text: str) -> bool:
    """False for a string with a lone surrogate (UTF-8 cannot encode one; checked in C)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class VoronkaAPI(NinjaAPI):
    """NinjaAPI with the error answers documented on every operation."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path in schema.get("paths", {}).values():
            for method, operation in path.items():
                responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(
                        str(status),
                        {
                            "description": str(description),
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        },
                    )
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
IDEMPOTENCY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Send a unique value (a UUID) to make a retried POST safe: it creates nothing twice.",
    "schema": {"type": "string", "maxLength": 255, "pattern": "^[!-~]+$"},
}

api = VoronkaAPI(
    title="Voronka CRM API",
    version="1",
    description=(
        "Leads, deals, contacts and companies, pipelines and stages, the timeline and the stage "
        "history. Authenticate with `Authorization: Bearer <token>` (`voronka token create --user "
        "<login>`). Guide: docs/api.md."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    parser=StrictJsonParser(),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: Any, details: dict | None = None
) -> HttpResponse:
    """Return the one JSON error shape."""
    body = {"error": {"code": code, "message": str(message), "details": details or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = next(code for kind, code in HTTP_STATUS if isinstance(error, kind))
    response = error_response(request, status, error.code, error.message, _plain(error.details))
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="voronka"'
    return response


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """Make lazy translations and other objects JSON-friendly."""
    return json.loads(json.dumps(details, default=str))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for problem in error.errors:
        location = [str(part) for part in problem.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
            if location and location[0] == "payload":
                location = location[1:]
        fields[".".join(location) or "request"] = problem.get("msg", "")
    return error_response(request, 422, "request.invalid", gettext("Some input is invalid."), fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = error_response(
        request, 401, "auth.required", gettext("Send a token: Authorization: Bearer <token>.")
    )
    response["WWW-Authenticate"] = 'Bearer realm="voronka"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code = "request.malformed" if error.status_code == 400 else f"http.{error.status_code}"
    message = gettext("The body is not valid JSON.") if error.status_code == 400 else str(error)
    return error_response(request, error.status_code, code, message)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", gettext("Not found."))


def not_found_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Answer unknown /api/v1/ paths in the API's shape, not with an HTML page."""
    return error_response(request, 404, "not_found", gettext("There is no such API endpoint."))


not_found_view.csrf_exempt = True  # type: ignore[attr-defined]


def _register_routers() -> None:
    from voronka.api.routers import (
        automation,
        companies,
        contacts,
        custom_fields,
        deals,
        duplicates,
        leads,
        mode,
        pipelines,
        products,
        roles,
        sources,
        users,
        webhooks,
    )

    api.add_router("/leads", leads.router)
    api.add_router("/deals", deals.router)
    api.add_router("/contacts", contacts.router)
    api.add_router("/companies", companies.router)
    api.add_router("/pipelines", pipelines.router)
    api.add_router("/sources", sources.router)
    api.add_router("/custom-fields", custom_fields.router)
    api.add_router("/products", products.router)
    api.add_router("/users", users.users)
    api.add_router("/departments", users.departments_router)
    api.add_router("/roles", roles.router)
    api.add_router("/duplicates", duplicates.router)
    api.add_router("/mode", mode.router)
    api.add_router("/webhooks", webhooks.router)
    api.add_router("/robots", automation.robots_router)
    api.add_router("/triggers", automation.triggers_router)
    api.add_router("/automation", automation.automation_router)


# Idempotency keys on POST and rate-limit headers on every answer (mode "view" wraps `run`).
api.add_decorator(wrap_operation, mode="view")
_register_routers()
