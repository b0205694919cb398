from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "voronka.imports"
    label = "imports"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from voronka.imports import subscribers  # noqa: F401 - registers the subscribers
