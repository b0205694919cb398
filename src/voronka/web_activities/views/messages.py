"""Composing an e-mail or SMS from an item (to its communications), and retrying a failed one."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voronka.lib.errors import DomainError
from voronka.messaging import selectors
from voronka.messaging.models import Channel
from voronka.messaging.services.compose import retry_message, send_email, send_sms
from voronka.web_activities.forms import EmailForm, SmsForm
from voronka.web_activities.views.activities import item_url
from voronka.web_activities.views.common import add_errors, item_or_404


def _template(templates, raw: str):
    return next((t for t in templates if str(t.pk) == raw), None) if raw else None


@login_required
def compose(request, kind: str, item_id: int, channel: str):
    """Write an e-mail or SMS to the item; it is queued and shows on the timeline."""
    if channel not in Channel.values:
        raise Http404
    item = item_or_404(request.user, kind, item_id)
    addresses = selectors.addresses(item, channel)
    templates = list(selectors.templates(channel, kind))
    form_class = EmailForm if channel == Channel.EMAIL else SmsForm
    form = form_class(request.POST or None, addresses=addresses, templates=templates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        template = _template(templates, data["template"])
        try:
            if channel == Channel.EMAIL:
                send_email(
                    item,
                    actor=request.user,
                    to=data["to"],
                    template=template,
                    subject=data["subject"],
                    body=data["body"],
                    body_is_text=True,
                )
            else:
                send_sms(item, actor=request.user, to=data["to"], template=template, text=data["text"])
        except DomainError as error:
            add_errors(form, error)
        else:
            return redirect(item_url(item))
    return render(
        request,
        "web_activities/compose.html",
        {"item": item, "form": form, "channel": channel, "has_addresses": bool(addresses)},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def retry(request, message_id: int):
    """Queue a failed message again."""
    message = selectors.get_message(message_id)
    if message is None:
        raise Http404
    item = item_or_404(request.user, message.item_kind, message.item.pk)
    try:
        retry_message(message, actor=request.user)
    except DomainError as error:
        return render(request, "web_activities/refused.html", {"error": error}, status=409)
    return redirect(item_url(item))
