from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "voronka.intake"
    label = "intake"
    verbose_name = _("Intake channels")

    def ready(self) -> None:
        from voronka.intake import subscribers  # noqa: F401 - registers the subscribers
