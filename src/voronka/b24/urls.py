"""URLs of the Bitrix24 dialect: /rest/<user id>/<code>/<method>[.json][/]."""

from django.urls import re_path

from voronka.b24 import views

urlpatterns = [
    re_path(
        r"^(?P<user_id>[^/]+)/(?P<code>[^/]+)/(?P<method_name>[^/]+?)(?:\.json|\.xml)?/?$",
        views.webhook_call,
    ),
    re_path(r"^(?P<method_name>[^/]+?)(?:\.json|\.xml)?/?$", views.unauthenticated_call),
    re_path(r"", views.unknown),
]
