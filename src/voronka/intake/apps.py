from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "voronka.intake"
    label = "intake"
    verbose_name = _("Intake channels")

    def ready(self) -> None:
        from voronka.intake import subscribers  # noqa: F401 - registers the subscribers
        from voronka.intake.services import housekeeping as jobs
        from voronka.lib import housekeeping

        housekeeping.register("intake.route_stalled", jobs.route_stalled)
        housekeeping.register("intake.stalled_replies", jobs.announce_stalled_replies)
        housekeeping.register("intake.restart_polls", jobs.restart_stopped_polls)
