"""Public endpoints mail clients and gateways reach: the open pixel, click redirects, SMS reports.

They need no login (the signed token is the credential) and answer the same way for a bad
token as for an unknown message, so they reveal nothing.
"""

import base64
import hmac

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from voronka.messaging import tracking
from voronka.messaging.services import tracking as tracking_services

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _client(request) -> tuple[str | None, str]:
    return request.META.get("REMOTE_ADDR"), request.headers.get("User-Agent", "")


@never_cache
@require_GET
def open_pixel(request, token: str):
    """Answer the 1×1 GIF and count the open (a bad token still gets the GIF, and counts nothing)."""
    ip, agent = _client(request)
    tracking_services.record_open(token, ip=ip, user_agent=agent)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_GET
def click(request, token: str):
    """Count the click and go to the message's link."""
    ip, agent = _client(request)
    url = tracking_services.record_click(token, ip=ip, user_agent=agent)
    if url is None:
        raise Http404
    return HttpResponseRedirect(url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_status(request, token: str):
    """Take an SMS gateway's delivery report: ?id=<gateway id>&status=delivered|failed[&reason=]."""
    if not hmac.compare_digest(token, tracking.sms_status_token()):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    provider_id = (data.get("id") or "").strip()
    status = (data.get("status") or "").strip().lower()
    if not provider_id or status not in {"delivered", "failed", "undelivered"}:
        return HttpResponse(
            "id and status=delivered|failed are required\n", status=400, content_type="text/plain"
        )
    message = tracking_services.record_sms_status(
        provider_id=provider_id, delivered=status == "delivered", reason=data.get("reason", "")
    )
    if message is None:
        return HttpResponse("unknown id\n", status=404, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
