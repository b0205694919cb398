"""Intake channels, the log of every request they received, web forms, mail threads and chats."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class Channel(models.Model):
    """A way requests come in (a web form, a mailbox, a telephony account, a bot) and its routing rule."""

    class Kind(models.TextChoices):
        FORM = "form", _("Web form")
        EMAIL = "email", _("E-mail")
        TELEPHONY = "telephony", _("Telephony")
        TELEGRAM = "telegram", _("Telegram bot")
        CHAT = "chat", _("Chat (webhook)")

    class Rule(models.TextChoices):
        # Who becomes responsible for a new lead or deal from this channel.
        NONE = "none", _("Nobody (distribute by hand)")
        FIXED = "fixed", _("A fixed user")
        ROUND_ROBIN = "round_robin", _("Round-robin over a queue of users")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # Webhooks authenticate with it (the telephony and chat token, Telegram's secret-token header).
    token = models.CharField(_("secret token"), max_length=64, unique=True, default=new_token)
    source = models.ForeignKey(
        "crm.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pipeline = models.ForeignKey(
        "crm.Pipeline",
        verbose_name=_("deal pipeline (simple mode)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": "deal"},
    )
    rule = models.CharField(_("responsible rule"), max_length=12, choices=Rule.choices, default=Rule.NONE)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Round-robin position: incremented with F() under the row lock, so concurrent requests differ.
    rr_counter = models.PositiveBigIntegerField(_("round-robin counter"), default=0, editable=False)
    # Per kind: e-mail {"addresses": [...], "imap": {...}}, telegram {"bot_token": ...},
    # telephony {"operators": {"101": user_id}}.
    config = models.JSONField(_("settings"), default=dict, blank=True)
    # The IMAP poll schedule: a worker claims the next run by moving this forward (conditional UPDATE).
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    """A user in a channel's round-robin queue."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="queue"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        ordering = ["sort", "pk"]
        constraints = [models.UniqueConstraint(fields=["channel", "user"], name="queue_member_unique")]

    def __str__(self) -> str:
        return f"{self.channel}: {self.user}"


class WebForm(models.Model):
    """A form built in the CRM and embedded on web sites; its posts become requests of its channel."""

    channel = models.OneToOneField(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="form"
    )
    key = models.CharField(_("public key"), max_length=32, unique=True, default=new_form_key)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # [{"name": "phone", "label": "Phone", "type": "tel", "target": "phone", "required": true}, ...]
    # target: first_name, last_name, second_name, company_title, phone, email, title, message,
    # or "custom:<CODE>" for a custom field.
    fields = models.JSONField(_("fields"), default=list, blank=True)
    consent_text = models.TextField(
        _("consent text"), blank=True, help_text=_("When set, the form shows a required consent checkbox.")
    )
    success_message = models.CharField(_("success message"), max_length=500, blank=True)
    redirect_url = models.URLField(_("redirect after submitting"), blank=True)
    # One origin a line ("https://shop.example.com"); "*" allows any site.
    allowed_origins = models.TextField(_("allowed origins"), blank=True)
    honeypot_field = models.CharField(_("honeypot field name"), max_length=50, default="website")
    attachments_allowed = models.BooleanField(_("file attachments allowed"), default=False)
    max_attachment_size = models.PositiveIntegerField(
        _("max attachment size, bytes"), default=5 * 1024 * 1024
    )
    allowed_types = models.JSONField(
        _("allowed attachment types"),
        default=list,
        blank=True,
        help_text=_("MIME types, e.g. application/pdf, image/png; empty means PDF and images."),
    )
    max_attachments = models.PositiveSmallIntegerField(_("max attachments"), default=3)
    rate_limit = models.PositiveIntegerField(_("posts per IP per minute"), default=10)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.title or str(self.channel)

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]


class IntakeRequest(models.Model):
    """A request exactly as a channel received it, stored before routing so nothing is lost."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not routed yet")
        ROUTED = "routed", _("Routed")
        FAILED = "failed", _("Routing failed")
        SPAM = "spam", _("Spam")
        IGNORED = "ignored", _("Ignored (auto-reply, bounce)")

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="requests"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # The channel's own id (call id, Message-ID, Telegram update id): a repeat delivery is recognised.
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    # The request as the channel parsed it (names, phones, e-mails, message, UTM, channel details).
    payload = models.JSONField(_("data"), default=dict, blank=True)
    raw = models.BinaryField(_("raw body"), blank=True, default=b"")
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("routing attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    item_kind = models.CharField(_("item kind"), max_length=10, blank=True)
    item_id = models.PositiveBigIntegerField(_("item id"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)

    class Meta:
        verbose_name = _("received request")
        verbose_name_plural = _("received requests")
        ordering = ["-pk"]
        indexes = [
            # A channel's log, newest first (keyset on id).
            models.Index(fields=["channel", "id"], name="intake_request_channel_id"),
            # The "unrouted" list and the retry sweep.
            models.Index(fields=["status", "id"], name="intake_request_status_id"),
            models.Index(fields=["item_kind", "item_id"], name="intake_request_item"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="intake_request_external_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"


class Attachment(models.Model):
    """A file that came with a request (a form upload, an e-mail attachment)."""

    request = models.ForeignKey(
        IntakeRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="intake/%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class MailThread(models.Model):
    """A Message-ID the CRM knows and the item its thread belongs to (replies are threaded by it)."""

    message_id = models.CharField(_("Message-ID"), max_length=255, db_index=True)
    request = models.ForeignKey(
        IntakeRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    item_kind = models.CharField(_("item kind"), max_length=10)
    item_id = models.PositiveBigIntegerField(_("item id"))
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("mail thread message")
        verbose_name_plural = _("mail thread messages")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.message_id


class Conversation(models.Model):
    """A chat with one person on one channel (a Telegram chat, a widget session) and its item."""

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="conversations"
    )
    external_id = models.CharField(_("chat id"), max_length=255)
    title = models.CharField(_("who"), max_length=255, blank=True)
    item_kind = models.CharField(_("item kind"), max_length=10, blank=True)
    item_id = models.PositiveBigIntegerField(_("item id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="conversation_channel_chat_unique"
            )
        ]
        indexes = [models.Index(fields=["item_kind", "item_id"], name="conversation_item")]

    def __str__(self) -> str:
        return self.title or self.external_id


class ChatMessage(models.Model):
    """One message of a conversation, in or out; replies are sent by a task and keep their status."""

    class Direction(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Outgoing")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:50]


class RateBucket(models.Model):
    """Hits of one key (a form and an IP) in one minute; kept in the database so every worker sees them."""

    key = models.CharField(_("key"), max_length=200)
    window = models.DateTimeField(_("minute"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("rate limit bucket")
        verbose_name_plural = _("rate limit buckets")
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_bucket_key_window")]
        indexes = [models.Index(fields=["window"], name="rate_bucket_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window:%H:%M}: {self.hits}"
