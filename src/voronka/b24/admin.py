"""The admin of inbound webhooks: a new webhook shows its URL once, in the success message."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from voronka.b24 import services
from voronka.b24.models import InboundWebhook


@admin.register(InboundWebhook)
class InboundWebhookAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "scopes", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    fields = ("user", "name", "scopes", "is_active", "prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def get_readonly_fields(self, request, obj=None):
        # The user of an existing webhook cannot change: its URL names the user.
        return (*self.readonly_fields, "user") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.update_webhook(
                obj, actor=request.user, is_active=obj.is_active, scopes=obj.scopes, name=obj.name
            )
            return
        webhook, code = services.create_webhook(
            user=obj.user, actor=request.user, scopes=obj.scopes or services.SCOPES, name=obj.name
        )
        obj.pk = webhook.pk
        url = request.build_absolute_uri(f"/rest/{webhook.user_id}/{code}/")
        self.message_user(
            request, _("The webhook URL, shown only once: %(url)s") % {"url": url}, level=messages.WARNING
        )
