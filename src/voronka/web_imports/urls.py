"""URLs of the import wizard, the import history and the export (until voronka.web takes them in)."""

from django.urls import path

from voronka.web_imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.history, name="history"),
    path("imports/new/", views.upload, name="upload"),
    path("imports/draft/<str:token>/", views.draft, name="draft"),
    path("imports/<int:job_id>/", views.job, name="job"),
    path("imports/<int:job_id>/progress/", views.progress, name="progress"),
    path("imports/<int:job_id>/errors.csv", views.errors, name="errors"),
    path("export/<str:kind>/", views.export, name="export"),
]
