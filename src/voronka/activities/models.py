"""Planned activities on CRM items, the notifications they raise, and each user's calendar feed."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk


class Activity(OwnedByItem):
    """Something a manager plans to do (or did) about one lead, deal, contact or company."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")

    class Direction(models.TextChoices):
        # Calls and e-mails only: who started the conversation.
        NONE = "", _("Not applicable")
        INCOMING = "incoming", _("Incoming")
        OUTGOING = "outgoing", _("Outgoing")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")

    # Each indexed first in its activity_<owner>_open_deadline index.
    lead = owner_fk("Lead", "activities", db_index=False)
    deal = owner_fk("Deal", "activities", db_index=False)
    contact = owner_fk("Contact", "activities", db_index=False)
    company = owner_fk("Company", "activities", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.NONE, blank=True
    )
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    # When it is due (a meeting or call starts then); "overdue" means deadline < now and not done.
    deadline = models.DateTimeField(_("deadline"))
    duration = models.DurationField(_("duration"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,  # indexed first in activity_user_open_deadline
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participants"),
        blank=True,
        related_name="participating_activities",
    )
    remind_before = models.DurationField(_("remind before"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    # Bumped by every reschedule: a reminder task scheduled for an older revision does nothing.
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    is_done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)
    # Channel details other apps attach (a call's recording link, an e-mail's Message-ID).
    data = models.JSONField(_("details"), default=dict, blank=True)
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
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["deadline", "pk"]
        constraints = [exactly_one_owner("activity_one_owner")]
        indexes = [
            # "My activities", overdue and today counts per user: open ones by deadline.
            models.Index(fields=["assigned_to", "is_done", "deadline"], name="activity_user_open_deadline"),
            # Per item: the next activity, the overdue badge, "no next step" (boards and lists).
            models.Index(fields=["lead", "is_done", "deadline"], name="activity_lead_open_deadline"),
            models.Index(fields=["deal", "is_done", "deadline"], name="activity_deal_open_deadline"),
            models.Index(fields=["contact", "is_done", "deadline"], name="activity_contact_open_deadline"),
            models.Index(fields=["company", "is_done", "deadline"], name="activity_company_open_deadline"),
            # The company calendar and the week view.
            models.Index(fields=["deadline"], name="activity_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def ends_at(self):
        return self.deadline + self.duration if self.duration else self.deadline

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.deadline < timezone.now()


class Notification(models.Model):
    """A message for one user in the interface (a reminder, an e-mail opened, ...)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        ASSIGNED = "assigned", _("Activity assigned")
        MESSAGE = "message", _("Message")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    text = models.CharField(_("text"), max_length=500)
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # The item it is about, as kind + id (no foreign key: the item may go to the recycle bin).
    item_kind = models.CharField(_("item kind"), max_length=10, blank=True)
    item_id = models.PositiveBigIntegerField(_("item id"), null=True, blank=True)
    # Makes a retried task's notification a no-op ("reminder:<activity>:<revision>:<user>").
    key = models.CharField(_("key"), max_length=100, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret token of a user's iCalendar feed; regenerating it cuts off old subscriptions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user}"
