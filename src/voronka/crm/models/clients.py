"""Clients: contacts (people) and companies."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.base import CrmItem, ItemKind, PersonName


class Company(CrmItem):
    """A client organisation."""

    kind = ItemKind.COMPANY

    title = models.CharField(_("name"), max_length=255)
    # The folded title duplicate control compares ("ООО «Ромашка»" = "ромашка").
    title_key = models.CharField(_("name key"), max_length=255, db_index=True, editable=False)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.CharField(_("employees"), max_length=50, blank=True)
    revenue = models.DecimalField(_("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("created from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.title


class Contact(CrmItem, PersonName):
    """A client person, possibly working for a company."""

    kind = ItemKind.CONTACT

    birthdate = models.DateField(_("birth date"), null=True, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    address = models.CharField(_("address"), max_length=500, blank=True)
    lead = models.ForeignKey(
        "crm.Lead",
        verbose_name=_("created from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def title(self) -> str:
        return str(self)
