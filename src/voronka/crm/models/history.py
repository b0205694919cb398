"""The stage history: one row when an item is created and one per move. Every funnel figure derives from it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk


class StageHistory(OwnedByItem):
    """An item entered a stage.

    Append-only for the application: rows are added, and deleted only with their item, stage or
    pipeline; `save()` refuses to change one. The three columns of the stay the entry began
    (`left_at`, `won_at`, `lost_at`) are the database's own: triggers set them on every insert and
    delete, whatever the path (crm.stays), so they are never written from Python.
    """

    # Their own indexes would repeat the first column of history_lead/deal_sequence (partial
    # indexes WHERE lead/deal IS NOT NULL, which `lead_id = …` and `IN (…)` use).
    lead = owner_fk("Lead", "stage_history", db_index=False)
    deal = owner_fk("Deal", "stage_history", db_index=False)
    pipeline = models.ForeignKey(  # indexed first in history_pipeline_moved
        "crm.Pipeline", verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    from_stage = models.ForeignKey(  # indexed by history_from_stage (moves only)
        "crm.Stage",
        verbose_name=_("from stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    to_stage = models.ForeignKey(  # indexed first in history_stage_moved
        "crm.Stage", verbose_name=_("to stage"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    moved_at = models.DateTimeField(_("moved at"), default=timezone.now)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The item's responsible at the time of the move: reports per manager read it.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept by triggers (crm.stays): when the item left this stage (its next row's moved_at), and
    # its first entry after this row into a won / a lost stage of this row's pipeline.
    left_at = models.DateTimeField(_("left at"), null=True, blank=True, editable=False)
    won_at = models.DateTimeField(_("won after at"), null=True, blank=True, editable=False)
    lost_at = models.DateTimeField(_("lost after at"), null=True, blank=True, editable=False)
    is_backward = models.BooleanField(_("backward move"), default=False)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("stage history row")
        verbose_name_plural = _("stage history")
        ordering = ["moved_at", "pk"]
        indexes = [
            # Entries of a pipeline in a period, with what the funnel reports read (index-only scans).
            models.Index(
                fields=["pipeline", "moved_at", "to_stage", "deal", "lead", "id"],
                name="history_pipeline_moved",
            ),
            models.Index(fields=["to_stage", "moved_at"], name="history_stage_moved"),
            # Deleting a stage clears the moves out of it (`from_stage_id IN (…)`); creation rows
            # (every created or imported item has one) have none and stay out of the index.
            models.Index(
                fields=["from_stage"], condition=models.Q(from_stage__isnull=False), name="history_from_stage"
            ),
            # Entries of a pipeline in a period with how their stays ended: time in stage and the
            # forecast's training read them without a window over each item's rows (index-only).
            models.Index(
                fields=["pipeline", "moved_at", "to_stage", "left_at", "won_at", "lost_at", "deal", "lead"],
                name="history_stays",
            ),
            # Stays of a pipeline's stage by when they ended (NULL: not yet): the forecast's backtest
            # finds the stays that contain its dates in two ranges per stage (index-only).
            models.Index(
                fields=["pipeline", "to_stage", "left_at", "moved_at", "won_at", "deal", "lead"],
                name="history_left",
            ),
            # Creations in a pipeline and period: the funnel's "created" cohort.
            models.Index(
                fields=["pipeline", "moved_at", "deal", "lead"],
                condition=models.Q(from_stage__isnull=True),
                name="history_creation",
            ),
            # One item's entries in order (moved_at, id): the LEAD window and "the next entry" of reports.
            models.Index(
                fields=["deal", "moved_at", "id", "pipeline", "to_stage"],
                condition=models.Q(deal__isnull=False),
                name="history_deal_sequence",
            ),
            models.Index(
                fields=["lead", "moved_at", "id", "pipeline", "to_stage"],
                condition=models.Q(lead__isnull=False),
                name="history_lead_sequence",
            ),
        ]
        constraints = [exactly_one_owner("stage_history_one_owner", ("lead", "deal"))]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id} @ {self.moved_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Stage history is append-only.")
        super().save(*args, **kwargs)
