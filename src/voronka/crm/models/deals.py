"""Deals: work with a client on selling something, moving through a pipeline's stages."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.base import CrmItem, ItemKind


class Deal(CrmItem):
    """A deal in one pipeline; `is_closed` follows its stage's semantics (won or lost close it)."""

    kind = ItemKind.DEAL

    title = models.CharField(_("title"), max_length=255)
    # Indexed first in deal_pipeline_id and deal_stage_id (no index of their own: every insert pays for one).
    pipeline = models.ForeignKey(
        "crm.Pipeline",
        verbose_name=_("pipeline"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    stage = models.ForeignKey(
        "crm.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    is_closed = models.BooleanField(_("closed"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("stage changed"), null=True, blank=True)
    close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability, %"), null=True, blank=True)
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    is_repeat = models.BooleanField(_("repeat deal"), default=False)
    utm = models.JSONField(_("UTM tags"), default=dict, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["stage", "id"], name="deal_stage_id"),
            # Board column totals (COUNT and SUM(amount) per stage, for everyone or for the
            # responsibles in a scope) read this index only.
            models.Index(fields=["stage", "assigned_to", "amount"], name="deal_stage_assigned_amount"),
            models.Index(fields=["pipeline", "id"], name="deal_pipeline_id"),
            models.Index(fields=["assigned_to", "stage"], name="deal_assigned_stage"),
            models.Index(fields=["is_closed", "id"], name="deal_closed_id"),
            models.Index(fields=["amount"], name="deal_amount"),
            models.Index(fields=["closed_at"], name="deal_closed_at"),
        ]

    def __str__(self) -> str:
        return self.title
