"""Signing in (with failed attempts throttled), signing out, and the language switch."""

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.services import set_language
from voronka.web import services


def client_address(request) -> str:
    """Return the address failures are counted for."""
    return request.META.get("REMOTE_ADDR", "") or "-"


def _lock_message(until) -> str:
    local = timezone.localtime(until)
    return _("Too many failed attempts. Try again after %(time)s.") % {
        "time": formats.time_format(local, "H:i")
    }


class SignInView(LoginView):
    """Django's sign-in with a lock after repeated failures for one login from one address."""

    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        until = services.locked_until(username=username, address=client_address(request))
        if until is not None:
            form = AuthenticationForm(request, initial={"username": username})
            return self.render_to_response(
                self.get_context_data(form=form, lock_message=_lock_message(until))
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        username = self.request.POST.get("username", "")
        until = services.record_failure(username=username, address=client_address(self.request))
        context = self.get_context_data(form=form)
        if until is not None:
            context["lock_message"] = _lock_message(until)
        return self.render_to_response(context)

    def form_valid(self, form):
        services.clear_failures(username=form.get_user().get_username(), address=client_address(self.request))
        response = super().form_valid(form)
        language = form.get_user().language
        if language:
            response.set_cookie(django_settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


@require_POST
def sign_out(request):
    """Sign out and go to the sign-in page."""
    logout(request)
    return redirect("web:login")


@require_POST
def language(request):
    """Switch the interface language: kept in the user's profile and in the language cookie."""
    code = request.POST.get("language", "")
    if code not in {lang for lang, _name in django_settings.LANGUAGES}:
        messages.error(request, _("Unknown language."))
        return redirect("web:home")
    if request.user.is_authenticated:
        set_language(request.user, language=code)
    target = request.POST.get("next") or reverse("web:home")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("web:home")
    response = redirect(target)
    response.set_cookie(django_settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax")
    return response
