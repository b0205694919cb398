"""URLs of the activity pages, the messaging endpoints and the calendar feed."""

from django.urls import include, path

from voronka.web_activities.views import tracking

messaging_patterns = (
    [
        path("t/o/<str:token>.gif", tracking.open_pixel, name="open"),
        path("t/c/<str:token>/", tracking.click, name="click"),
        path("messaging/sms/status/<str:token>/", tracking.sms_status, name="sms_status"),
    ],
    "messaging",
)

urlpatterns = [
    path("", include(messaging_patterns)),
]
