"""The URL map: the web UI at the root, the admin, the language switch; the APIs plug in here."""

from django.contrib import admin
from django.urls import include, path, re_path

from voronka.api.api import api, not_found_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", not_found_view),
    path("rest/", include("voronka.b24.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("voronka.intake.urls")),
    path("", include("voronka.automation.urls")),
    path("intake/", include("voronka.web_intake.urls")),
    path("automation/", include("voronka.web_automation.urls")),
    path("analytics/", include("voronka.web_analytics.urls")),
    path("", include("voronka.web_activities.urls")),
    path("", include("voronka.web_imports.urls")),
    path("", include("voronka.web.urls")),
]
