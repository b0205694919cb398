"""Inbound webhooks of the Bitrix24 dialect, and the id mapping of migrations from a portal."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundWebhook(models.Model):
    """A Bitrix24-style incoming webhook: /rest/<user id>/<code>/<method> acts as `user`.

    Only the SHA-256 digest of the code is kept; the URL is shown once, when it is made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    code_hash = models.CharField(_("SHA-256 of the code"), max_length=64, unique=True, editable=False)
    # The first characters of the code, in clear, to tell webhooks apart.
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    # Bitrix24 scopes this webhook may call ("crm", "user"...).
    scopes = models.JSONField(_("scopes"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Updated at most once a minute, so that reading does not turn every request into a write.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inbound webhook")
        verbose_name_plural = _("inbound webhooks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or f"{self.user_id}/{self.prefix}…"


class MigratedObject(models.Model):
    """What one object of a source portal became here: makes a migration resumable and repeatable."""

    # The portal's REST address without the code (scheme, host, path up to /rest/<user>/).
    portal = models.CharField(_("portal"), max_length=300)
    entity = models.CharField(_("entity"), max_length=30)
    source_id = models.CharField(_("id in the portal"), max_length=100)
    local_id = models.BigIntegerField(_("id here"))
    migrated_at = models.DateTimeField(_("migrated"), default=timezone.now)

    class Meta:
        verbose_name = _("migrated object")
        verbose_name_plural = _("migrated objects")
        constraints = [
            models.UniqueConstraint(fields=["portal", "entity", "source_id"], name="b24_migrated_once"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.source_id} → {self.local_id}"
