from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebAnalyticsConfig(AppConfig):
    name = "voronka.web_analytics"
    label = "web_analytics"
    verbose_name = _("Analytics pages")
