"""The project's settings with the benchmark's URL conf (DJANGO_SETTINGS_MODULE=apiserver.settings)."""

from voronka.settings import *  # noqa: F403

ROOT_URLCONF = "apiserver.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405 - one log line per request would be measured too
