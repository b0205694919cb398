"""Definitions of user-defined fields; the values live in each item's `custom` JSON."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomField(models.Model):
    """A field an administrator added to leads, deals, contacts or companies."""

    class Entity(models.TextChoices):
        LEAD = "lead", _("Lead")
        DEAL = "deal", _("Deal")
        CONTACT = "contact", _("Contact")
        COMPANY = "company", _("Company")

    class Type(models.TextChoices):
        STRING = "string", _("String")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOL = "bool", _("Yes / no")
        ENUM = "enum", _("List")
        USER = "user", _("User")

    entity = models.CharField(_("entity"), max_length=10, choices=Entity.choices)
    # Bitrix24-style code (UF_CRM_...): the key of the value in `custom`.
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    is_required = models.BooleanField(_("required"), default=False)
    is_multiple = models.BooleanField(_("multiple values"), default=False)
    # For lists: [{"id": 1, "value": "Retail"}, ...]; ids are stable, values may be renamed.
    options = models.JSONField(_("list options"), default=list, blank=True)
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "sort", "pk"]
        constraints = [models.UniqueConstraint(fields=["entity", "code"], name="custom_field_code_unique")]

    def __str__(self) -> str:
        return self.name
