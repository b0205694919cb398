from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebImportsConfig(AppConfig):
    name = "voronka.web_imports"
    label = "web_imports"
    verbose_name = _("Import and export pages")
