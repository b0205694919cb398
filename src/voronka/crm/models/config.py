"""A stamp that changes whenever the CRM's configuration changes (one row, set by triggers)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConfigVersion(models.Model):
    """A random number set anew by database triggers on every write to a configuration table.

    Pipelines, stages, sources, custom fields, the CRM settings, robots and webhook
    subscriptions: a process may keep what it read of them while the stamp stays the same
    (crm.config_cache). A random value, not a counter: a rolled-back change cannot make an
    old stamp come back with other contents.
    """

    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("configuration version")
        verbose_name_plural = _("configuration versions")

    def __str__(self) -> str:
        return str(self.version)
