"""Leads: requests from possible clients, before they are qualified."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.base import CrmItem, ItemKind, PersonName


class Lead(CrmItem, PersonName):
    """A request from a possible client; its status is a stage of the lead pipeline."""

    kind = ItemKind.LEAD

    title = models.CharField(_("title"), max_length=255)
    company_title = models.CharField(_("company name"), max_length=255, blank=True)
    status = models.ForeignKey(  # indexed first in lead_status_id
        "crm.Stage", verbose_name=_("status"), on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3)
    is_closed = models.BooleanField(_("closed"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # A repeat lead comes from a known client; conversion sets both links too.
    # Indexed by lead_contact / lead_company (partial: most leads have no client yet).
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    is_repeat = models.BooleanField(_("repeat lead"), default=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    utm = models.JSONField(_("UTM tags"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["status", "id"], name="lead_status_id"),
            # Board column totals (COUNT and SUM(amount) per status, for everyone or for the
            # responsibles in a scope) read this index only.
            models.Index(fields=["status", "assigned_to", "amount"], name="lead_status_assigned_amount"),
            models.Index(fields=["assigned_to", "status"], name="lead_assigned_status"),
            models.Index(fields=["is_closed", "id"], name="lead_closed_id"),
            models.Index(fields=["amount"], name="lead_amount"),
            models.Index(fields=["contact"], condition=models.Q(contact__isnull=False), name="lead_contact"),
            models.Index(fields=["company"], condition=models.Q(company__isnull=False), name="lead_company"),
        ]

    def __str__(self) -> str:
        return self.title
