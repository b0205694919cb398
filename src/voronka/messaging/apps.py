from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "voronka.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from voronka.lib import housekeeping
        from voronka.messaging import subscribers  # noqa: F401 - registers the subscribers
        from voronka.messaging.services.delivery import recover_stalled

        housekeeping.register("messaging.recover_stalled", recover_stalled)
