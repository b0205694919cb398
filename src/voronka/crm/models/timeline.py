"""The timeline: one ordered feed per item of comments, changes, activities, messages and robot runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk, owner_indexes


class TimelineEntry(OwnedByItem):
    """Something that happened to an item; `data` holds the structured details."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        COMMENT = "comment", _("Comment")
        FIELDS_CHANGED = "fields_changed", _("Fields changed")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        REOPENED = "reopened", _("Re-opened")
        CONVERTED = "converted", _("Converted")
        CREATED_FROM_LEAD = "created_from_lead", _("Created from a lead")
        REQUEST = "request", _("Request received")
        MERGED = "merged", _("Duplicate merged")
        LINKED = "linked", _("Linked")
        RESTORED = "restored", _("Restored from the recycle bin")
        ACTIVITY = "activity", _("Activity")
        MESSAGE = "message", _("Message")
        CALL = "call", _("Call")
        CHAT = "chat", _("Chat")
        ROBOT = "robot", _("Automation")
        IMPORT = "import", _("Import")

    # Indexed by owner_indexes (partial: a row has one owner of four).
    lead = owner_fk("Lead", "timeline", db_index=False)
    deal = owner_fk("Deal", "timeline", db_index=False)
    contact = owner_fk("Contact", "timeline", db_index=False)
    company = owner_fk("Company", "timeline", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    is_pinned = models.BooleanField(_("pinned"), default=False)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["-created_at", "-pk"]
        indexes = owner_indexes("timeline", ("lead", "deal", "contact", "company"))
        constraints = [exactly_one_owner("timeline_one_owner")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.created_at:%Y-%m-%d %H:%M}"
