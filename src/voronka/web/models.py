"""The web UI's own rows: the sign-in throttle (shared by every gunicorn worker through the database)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInFailure(models.Model):
    """Failed sign-ins for one login name from one address; `locked_until` blocks further tries."""

    key = models.CharField(_("login and address"), max_length=300, unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    first_failed_at = models.DateTimeField(_("first failure"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
