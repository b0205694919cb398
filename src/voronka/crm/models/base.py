"""What leads, deals, contacts and companies share."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from voronka.lib.text import person_name


class ItemKind(models.TextChoices):
    """The four kinds of CRM items."""

    LEAD = "lead", _("Lead")
    DEAL = "deal", _("Deal")
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


class TranslatableName(models.Model):
    """A name that is a message id while it is the built-in one, and plain text once renamed."""

    name = models.CharField(_("name"), max_length=200)
    is_system_name = models.BooleanField(_("built-in name"), default=False, editable=False)
    # A message context for built-in names that translate differently (a lead is "Новый", a deal "Новая").
    name_context = models.CharField(_("translation context"), max_length=50, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.shown_name(self.name, is_system_name=self.is_system_name, context=self.name_context)

    @staticmethod
    def shown_name(name: str, *, is_system_name: bool, context: str = "") -> str:
        """Return a name as shown: translated while it is the built-in one (for rows read as values)."""
        if not is_system_name:
            return name
        return pgettext(context, name) if context else gettext(name)


class CrmItem(models.Model):
    """Fields every CRM item has: responsible, source, comments, custom fields, timestamps."""

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.ForeignKey(
        "crm.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_description = models.TextField(_("source details"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    # Folded names, titles, phones and e-mails: what the list search matches (kept by the services).
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    kind: ItemKind

    class Meta:
        abstract = True


class PersonName(models.Model):
    """A person's name in the Russian order of parts (last, first, middle)."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    second_name = models.CharField(_("middle name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.second_name, self.last_name)
