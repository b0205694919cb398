"""Public endpoints of the intake channels: web forms, telephony and chat webhooks (adapters).

Each view checks the caller (CORS origin, token, size), hands the input to one service, and
answers. Domain errors become JSON refusals here and only here; a stored request is routed in
the same HTTP request, and a routing failure still answers 202: the request is kept.
"""

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from voronka.intake import selectors
from voronka.intake.models import Channel, IntakeRequest, WebForm
from voronka.intake.services import calls, chats, forms, routing
from voronka.intake.services.forms import Upload
from voronka.intake.services.requests import header_subset
from voronka.lib.errors import DomainError, Forbidden, Invalid, NotFound, Refused

MAX_WEBHOOK_BODY = 256 * 1024
EMBED_SCRIPT = Path(__file__).parent / "static" / "intake" / "embed.js"


class TooLarge(Refused):
    """The body is over the endpoint's limit."""


def refusal(error: DomainError, *, headers: dict[str, str] | None = None) -> JsonResponse:
    """Answer a domain error as JSON with its HTTP status."""
    if error.code == "intake.bad_token":
        status = 401
    elif isinstance(error, TooLarge):
        status = 413
    elif error.code.endswith("rate_limited"):
        status = 429
    elif isinstance(error, NotFound):
        status = 404
    elif isinstance(error, Forbidden):
        status = 403
    elif isinstance(error, Invalid):
        status = 422
    else:
        status = 409
    body = {
        "ok": False,
        "error": {"code": error.code, "message": str(error.message), "details": error.details},
    }
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 429:
        response["Retry-After"] = "60"
    return response


def client_ip(request: HttpRequest) -> str | None:
    if getattr(settings, "INTAKE_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def _check_size(request: HttpRequest, limit: int) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise TooLarge(
            "request.too_large",
            _("The request is too large (at most %(kb)d KB).") % {"kb": limit // 1024},
        )


def _json_body(request: HttpRequest, limit: int = MAX_WEBHOOK_BODY) -> Any:
    _check_size(request, limit)
    try:
        body = request.body
    except RequestDataTooBig:
        raise TooLarge("request.too_large", _("The request is too large.")) from None
    if len(body) > limit:
        raise TooLarge("request.too_large", _("The request is too large."))
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Invalid("request.bad_json", _("The body is not valid JSON.")) from None


def _stored_answer(row: IntakeRequest, *, created: bool) -> JsonResponse:
    if created and row.status == IntakeRequest.Status.RECEIVED:
        row = routing.route_request(row.pk)
    body = {
        "ok": True,
        "request_id": row.pk,
        "status": row.status,
        "duplicate": not created,
        "item": {"kind": row.item_kind, "id": row.item_id} if row.item_id else None,
        "outcome": row.outcome or None,
    }
    status = 202 if row.status in (IntakeRequest.Status.RECEIVED, IntakeRequest.Status.FAILED) else 200
    return JsonResponse(body, status=status)


# --- Web forms ---------------------------------------------------------------------------------


def _origin_headers(request: HttpRequest, form: WebForm) -> dict[str, str]:
    """Return the CORS headers for this request's origin, or raise Forbidden for a foreign site."""
    origin = request.headers.get("Origin", "").rstrip("/")
    if not origin or origin == f"{request.scheme}://{request.get_host()}":
        return {}
    allowed = form.origins
    if "*" not in allowed and origin not in allowed:
        raise Forbidden("form.origin_not_allowed", _("This site may not post to the form."))
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def form_endpoint(request: HttpRequest, key: str) -> HttpResponse:
    """The public form: GET shows it, POST submits it (browser post or JSON), OPTIONS is CORS preflight."""
    try:
        form = selectors.form_by_key(key)
    except NotFound as error:
        return refusal(error)
    try:
        cors = _origin_headers(request, form)
    except Forbidden as error:
        return refusal(error)
    if request.method == "OPTIONS":
        return _with_headers(
            HttpResponse(status=204),
            {
                **cors,
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type, Accept",
                "Access-Control-Max-Age": "86400",
            },
        )
    if request.method == "GET":
        return render(request, "intake/form_page.html", {"form": form, "post_url": request.path})
    wants_json = _wants_json(request)
    try:
        values, files = _submission(request, form)
        row = forms.accept_submission(
            form,
            values=values,
            files=files,
            raw=b"" if request.content_type == "multipart/form-data" else request.body,
            remote_addr=client_ip(request),
            headers=header_subset(request.headers),
        )
    except DomainError as error:
        if wants_json:
            return refusal(error, headers=cors)
        return render(
            request,
            "intake/form_page.html",
            {"form": form, "post_url": request.path, "error": error, "values": request.POST},
            status=refusal(error).status_code,
        )
    if row.status == IntakeRequest.Status.RECEIVED:
        row = routing.route_request(row.pk)
    message = form.success_message or _("Thank you! We will contact you soon.")
    if wants_json:
        response = JsonResponse(
            {"ok": True, "message": message, "redirect": form.redirect_url or None},
            json_dumps_params={"ensure_ascii": False},
        )
        return _with_headers(response, cors)
    if form.redirect_url:
        return HttpResponseRedirect(form.redirect_url, status=303)
    return render(request, "intake/form_done.html", {"form": form, "message": message})


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _submission(request: HttpRequest, form: WebForm) -> tuple[dict[str, Any], list[Upload]]:
    _check_size(request, forms.max_body_size(form))
    if request.content_type == "application/json":
        body = _json_body(request, forms.max_body_size(form))
        if not isinstance(body, dict):
            raise Invalid("request.bad_json", _("The body must be a JSON object."))
        return body, []
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Invalid("request.bad_content_type", _("Send the form as a form post or as JSON."))
    try:
        values = {key: request.POST.get(key) for key in request.POST}
        uploads = [
            Upload(name=str(upload.name), declared_type=str(upload.content_type), content=upload.read())
            for upload in request.FILES.getlist("files")[: form.max_attachments + 1]
        ]
    except RequestDataTooBig:
        raise TooLarge("request.too_large", _("The request is too large.")) from None
    except MultiPartParserError:
        raise Invalid("request.bad_multipart", _("The form post cannot be read.")) from None
    return values, uploads


@require_GET
def form_schema(request: HttpRequest, key: str) -> HttpResponse:
    """The form's definition for the embed script (public: it is what the form shows anyway)."""
    try:
        form = selectors.form_by_key(key)
    except NotFound as error:
        return refusal(error, headers={"Access-Control-Allow-Origin": "*"})
    body = {
        "key": form.key,
        "title": form.title,
        "fields": form.fields,
        "consent": form.consent_text,
        "honeypot": form.honeypot_field,
        "attachments": (
            {
                "max_files": form.max_attachments,
                "max_size": form.max_attachment_size,
                "types": forms.allowed_types(form),
            }
            if form.attachments_allowed
            else None
        ),
        "submit_label": _("Send"),
        "post_url": request.build_absolute_uri(f"/f/{form.key}/"),
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """The script a web site includes to render and post a form."""
    response = HttpResponse(EMBED_SCRIPT.read_bytes(), content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- Telephony ---------------------------------------------------------------------------------


def _token(request: HttpRequest, header: str = "X-Voronka-Token") -> str:
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return request.headers.get(header, "")


@csrf_exempt
@require_POST
def telephony_webhook(request: HttpRequest) -> HttpResponse:
    """A call event from the telephony platform (docs/intake.md), authenticated by the channel token."""
    try:
        channel = selectors.channel_by_token((Channel.Kind.TELEPHONY,), _token(request))
        row, created = calls.accept_call(
            channel,
            _json_body(request),
            raw=request.body,
            remote_addr=client_ip(request),
            headers=header_subset(request.headers),
        )
    except DomainError as error:
        return refusal(error)
    return _stored_answer(row, created=created)


@require_GET
def telephony_who(request: HttpRequest) -> HttpResponse:
    """Who is calling: the client with this number and its open leads and deals."""
    try:
        selectors.channel_by_token((Channel.Kind.TELEPHONY,), _token(request))
        caller = selectors.who_is_calling(request.GET.get("phone", ""))
    except DomainError as error:
        return refusal(error)
    return JsonResponse(
        {
            "phone": caller.phone,
            "client": caller.client,
            "responsible": caller.responsible,
            "open_items": caller.open_items,
        },
        json_dumps_params={"ensure_ascii": False},
    )


# --- Chats ---------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, channel_id: int) -> HttpResponse:
    """A Telegram Bot API update; the secret-token header must be the channel's token."""
    try:
        channel = selectors.get_channel(channel_id)
        if channel.kind != Channel.Kind.TELEGRAM:
            raise NotFound("channel.not_found", _("Channel not found."))
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not channel.is_active or not secrets.compare_digest(secret.encode(), channel.token.encode()):
            raise Forbidden("intake.bad_token", _("Wrong or missing token."))
        row, created = chats.accept_telegram(
            channel,
            _json_body(request),
            raw=request.body,
            remote_addr=client_ip(request),
            headers=header_subset(request.headers),
        )
    except DomainError as error:
        return refusal(error)
    return _stored_answer(row, created=created)


@csrf_exempt
@require_POST
def chat_webhook(request: HttpRequest) -> HttpResponse:
    """A message of the generic chat webhook (docs/intake.md), authenticated by the channel token."""
    try:
        channel = selectors.channel_by_token((Channel.Kind.CHAT,), _token(request))
        row, created = chats.accept_chat(
            channel,
            _json_body(request),
            raw=request.body,
            remote_addr=client_ip(request),
            headers=header_subset(request.headers),
        )
    except DomainError as error:
        return refusal(error)
    return _stored_answer(row, created=created)
