"""CRM-wide settings kept in the database (one row)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CrmSettings(models.Model):
    """The working mode and the defaults it uses; there is exactly one row (pk=1)."""

    class Mode(models.TextChoices):
        CLASSIC = "classic", _("Classic: requests become leads")
        SIMPLE = "simple", _("Simple: requests become a client and a deal")

    mode = models.CharField(_("working mode"), max_length=10, choices=Mode.choices, default=Mode.CLASSIC)
    # In simple mode, requests create deals in this pipeline (the default deal pipeline when empty).
    simple_mode_pipeline = models.ForeignKey(
        "crm.Pipeline",
        verbose_name=_("pipeline for new deals"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("CRM settings")
        verbose_name_plural = _("CRM settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="crm_settings_single_row")]

    def __str__(self) -> str:
        return str(self.get_mode_display())
