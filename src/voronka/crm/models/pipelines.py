"""Pipelines (lead statuses and deal "directions"), their stages, and sources of requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.base import TranslatableName


class Pipeline(TranslatableName):
    """An ordered list of stages: the one lead pipeline, or one of the deal pipelines."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("Leads")
        DEAL = "deal", _("Deals")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["kind", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(is_default=True), name="pipeline_one_default_per_kind"
            ),
        ]


class Stage(TranslatableName):
    """A stage of a pipeline (a lead status, or a deal stage); lost stages are the loss reasons."""

    class Semantics(models.TextChoices):
        OPEN = "open", _("In progress")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    code = models.CharField(_("code"), max_length=50)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    color = models.CharField(_("colour"), max_length=7, default="#39A8EF")
    semantics = models.CharField(
        _("semantics"), max_length=4, choices=Semantics.choices, default=Semantics.OPEN
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="stage_code_unique_in_pipeline"),
            models.CheckConstraint(
                condition=models.Q(semantics__in=["open", "won", "lost"]), name="stage_semantics"
            ),
        ]

    @property
    def closes_items(self) -> bool:
        return self.semantics != self.Semantics.OPEN

    @property
    def is_won(self) -> bool:
        return self.semantics == self.Semantics.WON

    @property
    def is_lost(self) -> bool:
        return self.semantics == self.Semantics.LOST


class Source(TranslatableName):
    """Where requests come from (call, web form, advertising...): a configurable list."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["sort", "pk"]
