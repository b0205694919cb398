from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebIntakeConfig(AppConfig):
    name = "voronka.web_intake"
    label = "web_intake"
    verbose_name = _("Intake pages")
