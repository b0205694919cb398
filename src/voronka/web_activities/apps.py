from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebActivitiesConfig(AppConfig):
    name = "voronka.web_activities"
    label = "web_activities"
    verbose_name = _("Activity pages")
