"""The API's own bookkeeping: idempotency keys and rate-limit counters (written by api.services)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiIdempotencyKey(models.Model):
    """A POST made with an `Idempotency-Key`: its fingerprint and, once finished, its response."""

    token = models.ForeignKey(
        "accounts.ApiToken", verbose_name=_("token"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    # SHA-256 of method, path, query and body: the same key with another request is refused.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    content_type = models.CharField(_("response content type"), max_length=100, blank=True)
    body = models.TextField(_("response body"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created")]

    def __str__(self) -> str:
        return self.key


class ApiRateCounter(models.Model):
    """Requests of one token in the current fixed window (one row per token, updated in place)."""

    token = models.OneToOneField(
        "accounts.ApiToken", verbose_name=_("token"), on_delete=models.CASCADE, related_name="+"
    )
    window_start = models.BigIntegerField(_("window start (Unix seconds)"))
    hits = models.PositiveIntegerField(_("requests"), default=0)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self) -> str:
        return f"{self.token_id}: {self.hits}"
