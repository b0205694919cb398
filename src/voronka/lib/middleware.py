"""Middleware of the web UI that the JSON APIs skip.

The APIs authenticate with tokens and answer JSON: sessions, CSRF cookies, the signed-in user,
flash messages, htmx details, the profile's language and the web UI's error pages do nothing
for them but cost time on every request. Each class here is the named middleware for every
other path and a plain pass-through for paths under API_PREFIXES. The language of an API
answer still follows Accept-Language (LocaleMiddleware runs for every path).
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django_htmx.middleware import HtmxMiddleware

API_PREFIXES = ("/api/",)


def is_api(request) -> bool:
    """Return True for a request to a JSON API (token-authenticated, no session or cookies)."""
    return request.path_info.startswith(API_PREFIXES)


def web_only(base: type) -> type:
    """Return a subclass of middleware `base` that steps aside for API requests."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return base.__call__(self, request)

    namespace = {"__call__": __call__, "__doc__": f"{base.__name__}, skipped for API requests."}
    for hook in ("process_view", "process_exception", "process_template_response"):
        method = getattr(base, hook, None)
        if method is not None:
            namespace[hook] = _skipping(method)
    return type(base.__name__, (base,), namespace)


def _skipping(method):
    def hook(self, request, *args, **kwargs):
        if is_api(request):
            return None
        return method(self, request, *args, **kwargs)

    hook.__name__ = method.__name__
    return hook


WebSessionMiddleware = web_only(SessionMiddleware)
WebCsrfViewMiddleware = web_only(CsrfViewMiddleware)
WebAuthenticationMiddleware = web_only(AuthenticationMiddleware)
WebMessageMiddleware = web_only(MessageMiddleware)
WebHtmxMiddleware = web_only(HtmxMiddleware)
