"""The web UI's middleware: the user's language, and the one place domain errors become responses.

DomainError kinds map to pages and htmx answers here and nowhere else:
NotFound -> the 404 page, Forbidden -> the 403 page, Invalid / Refused / Conflict -> an error
toast for htmx requests (the page stays as it is) or an error page with the message.
Views that show a form catch Invalid themselves to put the message next to the field.
"""

import json

from django.shortcuts import render
from django.utils import translation

from voronka.lib.errors import DomainError, Forbidden, Invalid, NotFound

_STATUS = ((NotFound, 404), (Forbidden, 403), (Invalid, 422))


class UserLanguageMiddleware:
    """Speak the signed-in user's language (their profile wins over the cookie and the browser)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def status_of(error: DomainError) -> int:
    """Return the HTTP status for a domain error."""
    return next((status for kind, status in _STATUS if isinstance(error, kind)), 409)


def toast_header(message: str, level: str = "error") -> str:
    """Return an HX-Trigger value that shows a toast."""
    return json.dumps({"toast": {"level": level, "message": str(message)}})


class DomainErrorMiddleware:
    """Turn a DomainError escaping a view into the page or htmx answer for its kind."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        status = status_of(exception)
        if getattr(request, "htmx", False):
            response = render(request, "web/errors/inline.html", {"error": exception}, status=200)
            response["HX-Trigger"] = toast_header(exception.message)
            response["HX-Reswap"] = "none"
            return response
        template = {404: "web/errors/404.html", 403: "web/errors/403.html"}.get(
            status, "web/errors/refused.html"
        )
        return render(request, template, {"error": exception}, status=status)
