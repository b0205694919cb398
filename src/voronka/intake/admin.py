"""Read-only admin views of the intake rows (channels are configured on /intake/channels/, through the services)."""

from django.contrib import admin

from voronka.intake.models import Channel, ChatMessage, Conversation, IntakeRequest


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Channel)
class ChannelAdmin(ReadOnly):
    list_display = ("name", "kind", "is_active", "rule", "responsible")
    list_filter = ("kind", "is_active")
    exclude = ("token",)


@admin.register(IntakeRequest)
class IntakeRequestAdmin(ReadOnly):
    list_display = ("pk", "channel", "status", "outcome", "item_kind", "item_id", "created_at")
    list_filter = ("status", "channel")
    exclude = ("raw",)
    show_full_result_count = False


@admin.register(Conversation)
class ConversationAdmin(ReadOnly):
    list_display = ("pk", "channel", "title", "item_kind", "item_id", "last_message_at")


@admin.register(ChatMessage)
class ChatMessageAdmin(ReadOnly):
    list_display = ("pk", "conversation", "direction", "status", "created_at")
    list_filter = ("direction", "status")
