"""Public URLs of automation (the inbound-webhook triggers); included at the site root."""

from django.urls import path

from voronka.automation import views

app_name = "automation"
urlpatterns = [
    path("automation/trigger/<str:token>/", views.trigger_webhook, name="trigger_webhook"),
]
