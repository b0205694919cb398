"""Admin: a read-only view of activities and notifications (writes go through the services)."""

from django.contrib import admin

from voronka.activities.models import Activity, CalendarFeed, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = (
        "subject",
        "kind",
        "deadline",
        "assigned_to",
        "is_done",
        "lead",
        "deal",
        "contact",
        "company",
    )
    list_filter = ("kind", "is_done")
    list_select_related = ("assigned_to", "lead", "deal", "contact", "company")
    search_fields = ("subject",)
    raw_id_fields = ("lead", "deal", "contact", "company", "assigned_to", "done_by", "created_by")
    date_hierarchy = "deadline"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("text", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("user", "activity")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at")
    exclude = ("token",)
