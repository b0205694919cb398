from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class B24Config(AppConfig):
    name = "voronka.b24"
    label = "b24"
    verbose_name = _("Bitrix24 REST dialect")
    default_auto_field = "django.db.models.BigAutoField"
