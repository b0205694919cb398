"""What the views share: item kinds in URLs, the acting user, form errors from domain errors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import DomainError

# URL segment -> item kind, and back.
KINDS = {"leads": "lead", "deals": "deal", "contacts": "contact", "companies": "company"}
SEGMENTS = {kind: segment for segment, kind in KINDS.items()}
TITLES = {"lead": _("Leads"), "deal": _("Deals"), "contact": _("Contacts"), "company": _("Companies")}
SINGULAR = {"lead": _("Lead"), "deal": _("Deal"), "contact": _("Contact"), "company": _("Company")}
NEW = {"lead": _("New lead"), "deal": _("New deal"), "contact": _("New contact"), "company": _("New company")}


def card_prefix(kind: str) -> str:
    """Return the start of an item card's URL ("/deals/"): 160 cards need no 320 reverse() calls."""
    return reverse("web:card", args=[SEGMENTS[kind], 0]).removesuffix("0/")


def kind_of(segment: str) -> str:
    """Return the item kind for a URL segment ("deals" -> "deal"), or 404."""
    try:
        return KINDS[segment]
    except KeyError:
        raise Http404(segment) from None


def apply_errors(form, error: DomainError) -> None:
    """Put a domain error on a form: `details` keys that name fields go next to them."""
    placed = False
    for key, message in (error.details or {}).items():
        if not isinstance(message, str | Promise):
            continue
        message = str(message)
        name = key.replace("custom.", "custom__", 1) if key.startswith("custom.") else key.split(".")[0]
        if name in form.fields:
            form.add_error(name, message)
            placed = True
        elif name in ("phones", "emails", "messengers", "websites"):
            form.extra_errors.setdefault(name, []).append(message)
            placed = True
    if not placed or not error.details:
        form.add_error(None, str(error.message))


__all__ = ["login_required"]
