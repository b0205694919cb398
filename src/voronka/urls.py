"""The URL map: the web UI at the root, the admin, the language switch; the APIs plug in here."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("voronka.intake.urls")),
    path("intake/", include("voronka.web_intake.urls")),
    path("analytics/", include("voronka.web_analytics.urls")),
    path("", include("voronka.web_activities.urls")),
    path("", include("voronka.web_imports.urls")),
    path("", include("voronka.web.urls")),
]
