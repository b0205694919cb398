from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebAutomationConfig(AppConfig):
    name = "voronka.web_automation"
    label = "web_automation"
    verbose_name = _("Automation pages")
