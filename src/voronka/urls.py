"""The URL map: the admin for now; the web UI and the APIs plug in here."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from voronka.api.api import api, not_found_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", not_found_view),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
