"""Robots (actions attached to a stage), triggers (events that move an item to a stage), the run log."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_trigger_token() -> str:
    return secrets.token_urlsafe(24)


class Robot(models.Model):
    """An action that runs when an item enters the robot's stage (at once, after a delay, or by a date)."""

    class Kind(models.TextChoices):
        SEND_EMAIL = "send_email", _("Send an e-mail")
        SEND_SMS = "send_sms", _("Send an SMS")
        CREATE_ACTIVITY = "create_activity", _("Plan an activity or task")
        CHANGE_STAGE = "change_stage", _("Change the stage")
        CHANGE_RESPONSIBLE = "change_responsible", _("Change the responsible")
        ADD_COMMENT = "add_comment", _("Add a comment")
        SET_FIELD = "set_field", _("Set a field")
        CALL_WEBHOOK = "call_webhook", _("Call a webhook")
        CONVERT_LEAD = "convert_lead", _("Convert the lead (create a deal)")
        NOTIFY = "notify", _("Notify a user")

    class Timing(models.TextChoices):
        AT_ONCE = "at_once", _("At once")
        DELAY = "delay", _("After a delay")
        # N units after (positive) or before (negative) the date in one of the item's fields.
        DATE_FIELD = "date_field", _("Relative to a date field")

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="robots"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    params = models.JSONField(_("settings"), default=dict, blank=True)
    sort = models.PositiveIntegerField(_("order"), default=100)
    timing = models.CharField(_("run"), max_length=20, choices=Timing.choices, default=Timing.AT_ONCE)
    delay = models.IntegerField(_("delay"), default=0)
    delay_unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.MINUTES)
    in_working_hours = models.BooleanField(_("count working hours only"), default=False)
    date_field = models.CharField(_("date field"), max_length=100, blank=True)
    # {"join": "and" | "or", "rules": [{"field": "amount", "op": ">", "value": "100000"}, ...]}
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("robot")
        verbose_name_plural = _("robots")
        ordering = ["stage", "sort", "pk"]
        indexes = [models.Index(fields=["stage", "is_active", "sort"], name="robot_stage_active")]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())

    @property
    def title(self) -> str:
        return str(self)


class Trigger(models.Model):
    """An event that moves an item to the trigger's stage (forward only unless backward moves are allowed)."""

    class Kind(models.TextChoices):
        EMAIL_OPENED = "email_opened", _("E-mail opened")
        LINK_CLICKED = "link_clicked", _("Link in an e-mail clicked")
        FORM_SUBMITTED = "form_submitted", _("Web form submitted")
        CALL_RECEIVED = "call_received", _("Incoming call")
        MAIL_RECEIVED = "mail_received", _("Incoming e-mail")
        CHAT_RECEIVED = "chat_received", _("Chat message")
        ACTIVITY_COMPLETED = "activity_completed", _("Activity completed")
        # Fires when the item is changed and its condition holds.
        FIELD_CONDITION = "field_condition", _("Field condition became true")
        WEBHOOK = "webhook", _("Inbound webhook called")

    stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("stage"), on_delete=models.CASCADE, related_name="triggers"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    params = models.JSONField(_("settings"), default=dict, blank=True)
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    allow_backward = models.BooleanField(_("may move the item back"), default=False)
    # The secret of an inbound-webhook trigger's URL.
    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_trigger_token, editable=False
    )
    sort = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")
        ordering = ["stage", "sort", "pk"]
        indexes = [models.Index(fields=["kind", "is_active"], name="trigger_kind_active")]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())

    @property
    def title(self) -> str:
        return str(self)


class RobotRun(models.Model):
    """One robot for one entry of an item into the robot's stage: the idempotency key and the log line.

    Unique per (item, stage entry, robot): a retried task, a second worker or a re-delivered
    event finds the row and never acts twice. States: pending → running → done | failed;
    pending → cancelled (the item left the stage) | skipped (the condition did not hold).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        SKIPPED = "skipped", _("Skipped")

    item_kind = models.CharField(_("item kind"), max_length=10)
    item_id = models.PositiveBigIntegerField(_("item id"))
    # The StageHistory row of the item's entry into the stage.
    entry_id = models.PositiveBigIntegerField(_("stage entry"))
    robot = models.ForeignKey(
        Robot, verbose_name=_("robot"), null=True, on_delete=models.SET_NULL, related_name="runs"
    )
    robot_name = models.CharField(_("robot name"), max_length=200, blank=True)
    stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("stage"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort = models.PositiveIntegerField(_("order"), default=100)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    scheduled_for = models.DateTimeField(_("scheduled for"))
    # When a task was last queued for it: housekeeping queues again only after a lease.
    enqueued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("robot run")
        verbose_name_plural = _("robot runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_kind", "item_id", "entry_id", "robot"], name="robot_run_once_per_entry"
            ),
        ]
        indexes = [
            # Housekeeping and the delayed path: due pending runs.
            models.Index(fields=["status", "scheduled_for"], name="robot_run_due"),
            # The run log of one item, and cancelling an item's pending runs.
            models.Index(fields=["item_kind", "item_id", "status"], name="robot_run_item"),
        ]

    def __str__(self) -> str:
        return f"{self.robot_name} → {self.item_kind} #{self.item_id}: {self.status}"


class TriggerFiring(models.Model):
    """A trigger moved an item (or was considered and did not): the trigger half of the run log."""

    trigger = models.ForeignKey(
        Trigger, verbose_name=_("trigger"), null=True, on_delete=models.SET_NULL, related_name="firings"
    )
    trigger_name = models.CharField(_("trigger name"), max_length=200, blank=True)
    item_kind = models.CharField(_("item kind"), max_length=10)
    item_id = models.PositiveBigIntegerField(_("item id"))
    event = models.CharField(_("event"), max_length=50)
    from_stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("from stage"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("to stage"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_moved = models.BooleanField(_("moved"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("trigger firing")
        verbose_name_plural = _("trigger firings")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["item_kind", "item_id", "created_at"], name="trigger_firing_item")]

    def __str__(self) -> str:
        return f"{self.trigger_name} → {self.item_kind} #{self.item_id}"
