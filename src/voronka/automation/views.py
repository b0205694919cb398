"""The public endpoint of inbound-webhook triggers: POST /automation/trigger/<token>/?target=lead_12.

The token in the URL is the trigger's secret (shown on the settings page). The target comes as
a query parameter, a form field or a JSON body `{"target": "deal_5"}`. Domain errors become
JSON refusals here and only here.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from voronka.automation.services.triggers import call_webhook_trigger
from voronka.lib.errors import DomainError, Invalid, NotFound

MAX_BODY = 16 * 1024


def _target(request: HttpRequest) -> str:
    target = request.GET.get("target") or request.POST.get("target") or ""
    if not target and request.content_type == "application/json" and len(request.body) <= MAX_BODY:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        target = str(body.get("target", "")) if isinstance(body, dict) else ""
    return target


@csrf_exempt
@require_POST
def trigger_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """Apply the trigger with this token to the target item; answer whether it moved."""
    try:
        moved = call_webhook_trigger(token, target=_target(request))
    except DomainError as error:
        status = 404 if isinstance(error, NotFound) else 422 if isinstance(error, Invalid) else 409
        body = {"ok": False, "error": {"code": error.code, "message": str(error.message)}}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"ok": True, "moved": moved})
