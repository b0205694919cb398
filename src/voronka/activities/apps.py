from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "voronka.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from voronka.activities import subscribers  # noqa: F401 - registers the subscribers
        from voronka.activities.services.reminders import catch_up
        from voronka.lib import housekeeping

        housekeeping.register("activities.reminders_catch_up", catch_up)
