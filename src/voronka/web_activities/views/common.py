"""What the activity pages share: item look-up, mapping domain errors onto forms, redirects."""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from voronka.crm.selectors.items import MODELS, get_visible
from voronka.lib.errors import DomainError, Invalid, NotFound


def item_or_404(user, kind: str, item_id: int):
    """Return an item the user may see; 404 otherwise (also for an unknown kind)."""
    if kind not in MODELS:
        raise Http404
    try:
        return get_visible(user, kind, item_id)
    except NotFound as error:
        raise Http404(str(error)) from error


def add_errors(form, error: DomainError) -> None:
    """Put a domain refusal on the form: per field when it names fields, else on the form."""
    placed = False
    if isinstance(error, Invalid):
        for field, message in error.details.items():
            if field in form.fields:
                form.add_error(field, str(message))
                placed = True
    if not placed:
        form.add_error(None, str(error.message))


def back(request, fallback: str):
    """Redirect to the page the form came from (same host only), or to `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)
