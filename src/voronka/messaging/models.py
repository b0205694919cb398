"""Outgoing e-mails and SMS of CRM items, their templates, and open/click tracking."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Template(models.Model):
    """A reusable e-mail or SMS text with placeholders ({{ lead.name }}, {{ deal.amount }}, {{ signature }})."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    name = models.CharField(_("name"), max_length=200)
    # Empty: for every kind of item; otherwise lead, deal, contact or company only.
    entity = models.CharField(_("for"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), help_text=_("HTML for e-mails, plain text for SMS."))
    is_active = models.BooleanField(_("active"), default=True)
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
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["channel", "name"]

    def __str__(self) -> str:
        return self.name


class Message(OwnedByItem):
    """One e-mail or SMS to one recipient, with its delivery state.

    Each recipient gets their own message, so opens, clicks, bounces and replies are told apart.
    States: queued → sending → sent | failed | uncertain (see messaging/README.md: a worker that
    died while the server was receiving the message leaves it "uncertain", never resent).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")  # an SMS gateway's delivery report
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Delivery unknown")

    lead = owner_fk("Lead", "messages")
    deal = owner_fk("Deal", "messages")
    contact = owner_fk("Contact", "messages")
    company = owner_fk("Company", "messages")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Public, unguessable id: tracking tokens and the Message-ID are built from it.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, null=True, blank=True, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    from_email = models.CharField(_("from"), max_length=255, blank=True)
    to = models.CharField(_("to"), max_length=255)
    to_name = models.CharField(_("recipient name"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    body_text = models.TextField(_("text"), blank=True)
    # The links the message carries, in order; click tokens name an index into this list.
    links = models.JSONField(_("links"), default=list, blank=True)
    template = models.ForeignKey(
        Template,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=200, null=True, blank=True, unique=True
    )
    scheduled_at = models.DateTimeField(_("send after"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The claim of the worker sending it; handed_over_at is set just before the server gets the data.
    claim_token = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True, editable=False)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)
    is_bounce = models.BooleanField(_("bounced"), default=False)
    provider_id = models.CharField(_("gateway id"), max_length=100, blank=True, db_index=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    open_count = models.PositiveIntegerField(_("opens"), default=0)
    click_count = models.PositiveIntegerField(_("clicks"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [exactly_one_owner("message_one_owner")]
        indexes = [
            # The worker's housekeeping: stale claims and queued messages whose task was lost.
            models.Index(fields=["status", "claimed_at"], name="message_status_claimed"),
            models.Index(fields=["status", "scheduled_at"], name="message_status_scheduled"),
            models.Index(fields=["deal", "created_at"], name="message_deal_created"),
            models.Index(fields=["lead", "created_at"], name="message_lead_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}: {self.subject or self.body_text[:40]}"


class TrackingEvent(models.Model):
    """The first open or click of a message by its recipient (counts of the later ones are on Message)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="tracking"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    url = models.URLField(_("link"), max_length=2000, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        # One message has one recipient: this is "once per message and recipient".
        constraints = [
            models.UniqueConstraint(fields=["message", "kind"], name="tracking_once_per_recipient")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
