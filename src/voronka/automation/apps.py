from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from voronka.automation import subscribers  # noqa: F401 - registers the subscribers
        from voronka.automation.services.runs import release_due_runs
        from voronka.lib import housekeeping

        housekeeping.register("automation.release_due_runs", release_due_runs)
