"""Phones, e-mails, messengers and web sites of leads, contacts and companies."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk, owner_indexes


class Communication(OwnedByItem):
    """One way to reach a client: the value as typed and its normalized form (E.164, lower case)."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        MESSENGER = "messenger", _("Messenger")
        WEB = "web", _("Web site")

    class Label(models.TextChoices):
        WORK = "work", _("Work")
        MOBILE = "mobile", _("Mobile")
        HOME = "home", _("Home")
        FAX = "fax", _("Fax")
        MAILING = "mailing", _("Mailing")  # e-mail for newsletters
        TELEGRAM = "telegram", _("Telegram")
        WHATSAPP = "whatsapp", _("WhatsApp")
        VIBER = "viber", _("Viber")
        VK = "vk", _("VK")
        SKYPE = "skype", _("Skype")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=10, choices=Label.choices, default=Label.WORK)
    value = models.CharField(_("value"), max_length=255)
    normalized = models.CharField(_("normalized value"), max_length=255)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)
    # Indexed by owner_indexes (partial: a row has one owner of three).
    lead = owner_fk("Lead", "communications", db_index=False)
    contact = owner_fk("Contact", "communications", db_index=False)
    company = owner_fk("Company", "communications", db_index=False)

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        ordering = ["kind", "sort", "pk"]
        # Deliberately not unique: the "create" duplicate policy lets two clients share a phone.
        indexes = [
            models.Index(fields=["kind", "normalized"], name="communication_lookup"),
            *owner_indexes("communication", ("lead", "contact", "company")),
        ]
        constraints = [exactly_one_owner("communication_one_owner", ("lead", "contact", "company"))]

    def __str__(self) -> str:
        return self.value
