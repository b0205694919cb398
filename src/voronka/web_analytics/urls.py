"""/analytics/: the dashboard, one page per report, and each report as JSON."""

from django.urls import path

from voronka.web_analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("api/<str:name>.json", views.report_json, name="json"),
    path("<str:name>/", views.report_page, name="report"),
]
