"""Intake pages: channel settings, each channel's request log, the unrouted list, conversations.

An adapter: views parse forms, call the intake selectors and services, and render.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.selectors import active_users
from voronka.crm.selectors.items import get_visible
from voronka.intake import selectors
from voronka.intake.models import Channel, IntakeRequest
from voronka.intake.services import channels as channel_services
from voronka.intake.services.chats import reply
from voronka.intake.services.inbound import current_item
from voronka.intake.services.routing import retry_request
from voronka.lib.errors import DomainError, Forbidden, NotFound
from voronka.web_intake.forms import ChannelForm, FieldRows, NewChannelForm, ReplyForm, WebFormSettings


def _admin_only(view):
    def wrapped(request, *args, **kwargs):
        try:
            selectors.require_admin(request.user)
        except Forbidden as error:
            return HttpResponseForbidden(str(error.message))
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error.message)) from None

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_admin_only
def channel_list(request):
    """Every channel with its kind, rule and how many of its requests wait or failed."""
    counts = selectors.unrouted_counts()
    items = [(channel, counts.get(channel.pk, 0)) for channel in selectors.channels()]
    return render(request, "web_intake/channels.html", {"items": items, "new_form": NewChannelForm()})


@_admin_only
@require_POST
def channel_create(request):
    form = NewChannelForm(request.POST)
    if form.is_valid():
        try:
            channel = channel_services.create_channel(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("web_intake:channel", channel_id=channel.pk)
    counts = selectors.unrouted_counts()
    items = [(channel, counts.get(channel.pk, 0)) for channel in selectors.channels()]
    return render(request, "web_intake/channels.html", {"items": items, "new_form": form}, status=422)


def _initial(channel: Channel) -> dict:
    config = channel.config or {}
    imap = config.get("imap") or {}
    users = {user.pk: user.username for user in active_users()}
    return {
        "name": channel.name,
        "is_active": channel.is_active,
        "source": channel.source,
        "pipeline": channel.pipeline,
        "rule": channel.rule,
        "responsible": channel.responsible,
        "queue": [member.user_id for member in channel.queue.all()],
        "addresses": "\n".join(config.get("addresses") or []),
        "imap_host": imap.get("host", ""),
        "imap_port": imap.get("port", 993),
        "imap_username": imap.get("username", ""),
        "bot_token": config.get("bot_token", ""),
        "reply_url": config.get("reply_url", ""),
        "operators": "\n".join(
            f"{ext}={users.get(uid, uid)}" for ext, uid in (config.get("operators") or {}).items()
        ),
        "callback_minutes": config.get("callback_minutes"),
    }


def _config(channel: Channel, data: dict) -> dict:
    config = dict(channel.config or {})
    config["addresses"] = [line.strip() for line in data["addresses"].splitlines() if line.strip()]
    if data["imap_host"]:
        old = config.get("imap") or {}
        config["imap"] = {
            **old,
            "host": data["imap_host"],
            "port": data["imap_port"] or 993,
            "username": data["imap_username"],
            "password": data["imap_password"] or old.get("password", ""),
        }
    else:
        config.pop("imap", None)
    config["bot_token"] = data["bot_token"]
    config["reply_url"] = data["reply_url"]
    users = {user.username: user.pk for user in active_users()}
    operators = {}
    for line in data["operators"].splitlines():
        extension, _sep, username = line.partition("=")
        if extension.strip() and username.strip() in users:
            operators[extension.strip()] = users[username.strip()]
    config["operators"] = operators
    if data["callback_minutes"]:
        config["callback_minutes"] = data["callback_minutes"]
    return config


@_admin_only
def channel_detail(request, channel_id: int):
    """A channel's settings, how to connect it, and the log of what it received."""
    channel = selectors.get_channel(channel_id)
    form = ChannelForm(request.POST or None, initial=_initial(channel))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel_services.update_channel(
                channel,
                actor=request.user,
                name=data["name"],
                is_active=data["is_active"],
                source=data["source"],
                pipeline=data["pipeline"],
                rule=data["rule"],
                responsible=data["responsible"],
                config=_config(channel, data),
            )
            channel_services.set_queue(channel, users=list(data["queue"]), actor=request.user)
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("web_intake:channel", channel_id=channel.pk)
    before = request.GET.get("before")
    rows = selectors.request_log(channel=channel, before=int(before) if before and before.isdigit() else None)
    context = {
        "channel": channel,
        "form": form,
        "rows": rows[: selectors.PAGE],
        "next_before": rows[selectors.PAGE - 1].pk if len(rows) > selectors.PAGE else None,
        "site": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "web_intake/channel.html", context, status=422 if form.errors else 200)


@_admin_only
@require_POST
def channel_token(request, channel_id: int):
    channel_services.rotate_token(selectors.get_channel(channel_id), actor=request.user)
    return redirect("web_intake:channel", channel_id=channel_id)


def _rows_initial(fields: list[dict]) -> list[dict]:
    return [{**field, "options": ";".join(field.get("options") or [])} for field in fields]


@_admin_only
def form_builder(request, channel_id: int):
    """The web form builder: fields (mapped to lead fields and custom fields), consent, limits, embed code."""
    channel = selectors.get_channel(channel_id)
    if channel.kind != Channel.Kind.FORM:
        raise Http404
    web_form = channel.form
    settings_initial = {
        name: getattr(web_form, name)
        for name in WebFormSettings.base_fields
        if name not in ("allowed_types",)
    }
    settings_initial["allowed_types"] = ", ".join(web_form.allowed_types or [])
    settings_form = WebFormSettings(request.POST or None, initial=settings_initial, prefix="s")
    rows = FieldRows(request.POST or None, initial=_rows_initial(web_form.fields), prefix="f")
    error = None
    if request.method == "POST" and settings_form.is_valid() and rows.is_valid():
        fields = [
            {**row, "options": [o.strip() for o in row["options"].split(";") if o.strip()]}
            for row in rows.cleaned_data
            if row and row.get("name")
        ]
        data = dict(settings_form.cleaned_data)
        data["allowed_types"] = [t.strip() for t in data["allowed_types"].split(",") if t.strip()]
        try:
            channel_services.update_form(web_form, actor=request.user, fields=fields, **data)
        except DomainError as failure:
            error = str(failure.message)
        else:
            return redirect("web_intake:form_builder", channel_id=channel.pk)
    site = request.build_absolute_uri("/").rstrip("/")
    snippet = (
        f'<div data-voronka-form="{web_form.key}"></div>\n'
        f'<script src="{site}{reverse("intake:embed_script")}" async></script>'
    )
    context = {
        "channel": channel,
        "web_form": web_form,
        "settings_form": settings_form,
        "rows": rows,
        "error": error,
        "snippet": snippet,
        "public_url": f"{site}{reverse('intake:form', args=[web_form.key])}",
    }
    return render(request, "web_intake/form_builder.html", context, status=422 if error else 200)


@_admin_only
def unrouted(request):
    """Requests that wait for routing or failed, newest first, with a retry button."""
    failed = selectors.request_log(status=IntakeRequest.Status.FAILED)
    waiting = selectors.request_log(status=IntakeRequest.Status.RECEIVED)
    return render(request, "web_intake/unrouted.html", {"failed": failed[:50], "waiting": waiting[:50]})


@_admin_only
@require_POST
def retry(request, request_id: int):
    try:
        retry_request(selectors.get_request(request_id), actor=request.user)
    except DomainError as error:
        return HttpResponse(str(error.message), status=409)
    return redirect(request.POST.get("next") or reverse("web_intake:request", args=[request_id]))


@_admin_only
def request_detail(request, request_id: int):
    """One received request: what came in, what it became, or why it failed."""
    row = selectors.get_request(request_id)
    return render(request, "web_intake/request.html", {"row": row, "attachments": row.attachments.all()})


@_admin_only
def request_raw(request, request_id: int):
    row = selectors.get_request(request_id)
    response = HttpResponse(bytes(row.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="request-{row.pk}.eml"'
    return response


@login_required
def attachment(request, attachment_id: int):
    """Download a request's file (administrators, and users who see the item)."""
    try:
        found = selectors.get_attachment(attachment_id, user=request.user)
    except NotFound:
        raise Http404 from None
    response = FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)
    response["Content-Type"] = found.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def conversation(request, conversation_id: int):
    """A chat thread with a reply box; the reply goes back through the chat's API."""
    try:
        chat = selectors.get_conversation(conversation_id)
    except NotFound:
        raise Http404 from None
    item = current_item(chat.item_kind, chat.item_id)
    try:
        if item is None:
            raise NotFound("conversation.not_found", _("Conversation not found."))
        get_visible(request.user, item.kind.value, item.pk)
    except NotFound:
        raise Http404 from None
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply(chat, text=form.cleaned_data["text"], actor=request.user)
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            form.add_error("text", str(error.message))
        else:
            return redirect("web_intake:conversation", conversation_id=chat.pk)
    context = {
        "chat": chat,
        "item": item,
        "messages": selectors.messages_of(chat),
        "form": form,
        "title": _("Chat"),
    }
    return render(request, "web_intake/conversation.html", context)
