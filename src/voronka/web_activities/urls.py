"""URLs of the activity pages, the messaging endpoints and the calendar feed."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from voronka.web_activities.views import activities, messages, tracking

messaging_patterns = (
    [
        path("t/o/<str:token>.gif", tracking.open_pixel, name="open"),
        path("t/c/<str:token>/", tracking.click, name="click"),
        path("messaging/sms/status/<str:token>/", tracking.sms_status, name="sms_status"),
        path("messaging/<str:kind>/<int:item_id>/<str:channel>/", messages.compose, name="compose"),
        path("messaging/retry/<int:message_id>/", messages.retry, name="retry"),
    ],
    "messaging",
)

activities_patterns = (
    [
        path("", activities.mine, name="mine"),
        path("week/", activities.week, name="week"),
        path("notifications/", activities.notifications, name="notifications"),
        path("calendar/", activities.feed, name="feed"),
        path("ical/<str:token>.ics", activities.ical_feed, name="ical"),
        path("<int:activity_id>/complete/", activities.complete, name="complete"),
        path("<int:activity_id>/reschedule/", activities.reschedule, name="reschedule"),
        path("<str:kind>/<int:item_id>/", activities.item, name="item"),
    ],
    "activities",
)

urlpatterns = [
    path("", include(messaging_patterns)),
    path("activities/", include(activities_patterns)),
    # Until the web UI (voronka.web) brings its own sign-in page.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="web_activities/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
