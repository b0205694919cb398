"""Public URLs of the intake channels (forms, telephony, chats); included at the site root."""

from django.urls import path

from voronka.intake import views

app_name = "intake"
urlpatterns = [
    path("f/embed.js", views.embed_script, name="embed_script"),
    path("f/<str:key>/", views.form_endpoint, name="form"),
    path("f/<str:key>/schema", views.form_schema, name="form_schema"),
    path("intake/telephony/", views.telephony_webhook, name="telephony"),
    path("intake/telephony/who", views.telephony_who, name="telephony_who"),
    path("intake/telegram/<int:channel_id>/", views.telegram_webhook, name="telegram"),
    path("intake/chat/", views.chat_webhook, name="chat"),
]
