"""The URL map: the admin for now; the web UI and the APIs plug in here."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("voronka.web_activities.urls")),
    path("", include("voronka.web_imports.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
