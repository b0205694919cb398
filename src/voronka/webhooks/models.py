"""Webhook subscriptions and the log of their deliveries."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookSubscription(models.Model):
    """Events of the catalogue that are POSTed, signed with `secret`, to `target_url`."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    target_url = models.URLField(_("target URL"), max_length=2000)
    # HMAC-SHA256 key of the signatures; the receiver keeps a copy to check them.
    secret = models.CharField(_("signing secret"), max_length=200)
    # Catalogue names ("item.created"...), or ["*"] for every event.
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)

    class Format(models.TextChoices):
        VORONKA = "voronka", _("Voronka (signed JSON)")
        BITRIX24 = "bitrix24", _("Bitrix24 (form-encoded, event.bind)")

    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.VORONKA)
    # For the Bitrix24 format: the event it was bound to (ONCRMLEADADD...).
    bitrix_event = models.CharField(_("Bitrix24 event"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.target_url

    def wants(self, event: str, data: dict | None = None) -> bool:
        if self.format == self.Format.BITRIX24:
            from voronka.webhooks.bitrix import wants

            return wants(self.bitrix_event, event, data or {})
        return "*" in self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload, attempts and outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Being delivered")  # claimed by a worker, request in flight
        SUCCEEDED = "succeeded", _("Delivered")
        RETRYING = "retrying", _("Failed, will retry")
        FAILED = "failed", _("Failed, gave up")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Sent as X-Voronka-Delivery: receivers may de-duplicate on it.
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event = models.CharField(_("event"), max_length=100)
    # The same for every subscription that receives one published event.
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivering", "succeeded", "retrying", "failed"]),
                name="webhook_delivery_status",
            ),
        ]
        indexes = [models.Index(fields=["subscription", "created_at"], name="webhook_delivery_log")]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"
