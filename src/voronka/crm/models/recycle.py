"""The recycle bin: a deleted item's snapshot, with its dependent rows and links, for restoring."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RecycleBinEntry(models.Model):
    """A deleted lead, deal, contact or company, restorable with its rows and links."""

    entity = models.CharField(_("entity"), max_length=10)
    object_id = models.BigIntegerField(_("id"))
    title = models.CharField(_("title"), max_length=255)
    # {"objects": serialized rows (item first), "links": {"deal.contact": [ids], ...}}
    snapshot = models.JSONField(_("snapshot"))
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now, db_index=True)
    # The responsible at deletion: the bin is scoped like the item was.
    assigned_to_id_snapshot = models.BigIntegerField(_("responsible id"), null=True, blank=True)

    class Meta:
        verbose_name = _("recycle bin entry")
        verbose_name_plural = _("recycle bin")
        ordering = ["-deleted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "object_id"], name="recycle_entity_object_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entity} #{self.object_id}: {self.title}"
