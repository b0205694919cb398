"""Intake pages, under /intake/."""

from django.urls import path

from voronka.web_intake import views

app_name = "web_intake"
urlpatterns = [
    path("channels/", views.channel_list, name="channels"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:channel_id>/", views.channel_detail, name="channel"),
    path("channels/<int:channel_id>/token/", views.channel_token, name="channel_token"),
    path("channels/<int:channel_id>/form/", views.form_builder, name="form_builder"),
    path("unrouted/", views.unrouted, name="unrouted"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/raw/", views.request_raw, name="request_raw"),
    path("requests/<int:request_id>/retry/", views.retry, name="retry"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("conversations/<int:conversation_id>/", views.conversation, name="conversation"),
]
