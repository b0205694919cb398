"""Settings for administrators: what every settings page shares (the admin gate, messages)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from voronka.accounts.rights import is_administrator
from voronka.lib.errors import DomainError, Forbidden


def admin_only(view):
    """Let administrators in; others get the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise Forbidden("rights.admin_only", _("Only administrators change the settings."))
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, template: str, section: str, **context):
    return render(request, template, {"section": section, **context})


def _attempt(request, action, success: str = "") -> bool:
    """Run a service call; show its refusal as a message. Return True when it succeeded."""
    try:
        action()
    except DomainError as error:
        details = "; ".join(str(v) for v in (error.details or {}).values() if isinstance(v, str))
        messages.error(
            request,
            f"{error.message} {details}".strip()
            if details and details != str(error.message)
            else error.message,
        )
        return False
    if success:
        messages.success(request, success)
    return True


@admin_only
def index(request):
    return redirect("web:settings-pipelines")
