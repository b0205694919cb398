"""Import jobs: one per file imported (or checked), resumable after an interruption."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """The import of one file: what, how, and how far it got.

    `rows_done` advances in the same transaction as the rows of each batch, so after a crash the
    job says exactly which rows are in the database; running the same file with the same options
    again resumes there (the file is recognised by its SHA-256).
    """

    class Entity(models.TextChoices):
        LEAD = "lead", _("Leads")
        DEAL = "deal", _("Deals")
        CONTACT = "contact", _("Contacts")
        COMPANY = "company", _("Companies")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    entity = models.CharField(_("entity"), max_length=10, choices=Entity.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    # Where the uploaded file is kept (web imports); the CLI reads the user's own path.
    file_path = models.CharField(_("stored file"), max_length=500, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    file_size = models.BigIntegerField(_("file size"), default=0)
    options = models.JSONField(_("options"), default=dict, blank=True)
    # SHA-256 of the options that change the result (mapping, duplicate policy, pipeline, ...).
    options_key = models.CharField(_("options key"), max_length=64)
    is_dry_run = models.BooleanField(_("check only"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=5, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    merged_count = models.PositiveIntegerField(_("merged"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    warnings_count = models.PositiveIntegerField(_("warnings"), default=0)
    error_file = models.CharField(_("error report"), max_length=500, blank=True)
    # The size of the error report when rows_done was committed: a resumed run cuts it back here.
    error_bytes = models.BigIntegerField(_("error report size"), default=0)
    warnings = models.JSONField(_("first warnings"), default=list, blank=True)
    errors = models.JSONField(_("first failed rows"), default=list, blank=True)  # [[row number, reason], ...]
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["file_sha256", "entity", "options_key"], name="import_job_file")]
        constraints = [
            # At most one unfinished real import per file and options: a re-run resumes it.
            models.UniqueConstraint(
                fields=["file_sha256", "entity", "options_key"],
                condition=models.Q(is_dry_run=False, status__in=["pending", "running", "failed"]),
                name="import_job_one_open_per_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
