"""Admin for the CRM: configuration (pipelines, stages, sources, fields, products) and a view of the data.

The admin is for configuration until the web UI covers it; data edited here bypasses the
services, so items are read-only apart from their configuration-like fields.
"""

from django.contrib import admin

from voronka.crm.models import (
    Communication,
    Company,
    Contact,
    CrmSettings,
    CustomField,
    Deal,
    Lead,
    Pipeline,
    Product,
    ProductRow,
    RecycleBinEntry,
    Source,
    Stage,
    StageHistory,
    TimelineEntry,
)


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ("code", "name", "sort", "color", "semantics")


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "sort", "is_default")
    list_filter = ("kind",)
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "pipeline", "code", "sort", "semantics", "color")
    list_filter = ("pipeline", "semantics")
    list_select_related = ("pipeline",)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "sort", "is_active")


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("name", "entity", "code", "type", "is_required", "is_multiple", "sort")
    list_filter = ("entity", "type")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "price", "currency", "tax_rate", "is_active")
    search_fields = ("name", "code")


@admin.register(CrmSettings)
class CrmSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "simple_mode_pipeline", "updated_at")
    readonly_fields = ("mode",)  # switching converts leads: it goes through crm.services.modes

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommunicationInline(admin.TabularInline):
    model = Communication
    extra = 0
    fields = ("kind", "label", "value", "normalized")
    readonly_fields = ("normalized",)


class ProductRowInline(admin.TabularInline):
    model = ProductRow
    extra = 0
    fields = ("product", "name", "price", "quantity", "discount_rate", "tax_rate", "total")
    readonly_fields = ("total",)


class ItemAdmin(admin.ModelAdmin):
    """Items are changed through the services (web UI, API); the admin shows them."""

    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ("created_at", "updated_at", "created_by", "search_text")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(ItemAdmin):
    list_display = ("title", "status", "assigned_to", "source", "amount", "currency", "created_at")
    list_filter = ("status", "source", "is_closed")
    list_select_related = ("status", "assigned_to", "source")
    search_fields = ("search_text",)
    inlines = [CommunicationInline, ProductRowInline]


@admin.register(Deal)
class DealAdmin(ItemAdmin):
    list_display = (
        "title",
        "pipeline",
        "stage",
        "assigned_to",
        "amount",
        "currency",
        "is_closed",
        "created_at",
    )
    list_filter = ("pipeline", "stage", "is_closed")
    list_select_related = ("pipeline", "stage", "assigned_to")
    search_fields = ("title",)
    inlines = [ProductRowInline]


@admin.register(Contact)
class ContactAdmin(ItemAdmin):
    list_display = ("__str__", "company", "assigned_to", "created_at")
    list_select_related = ("company", "assigned_to")
    search_fields = ("search_text",)
    inlines = [CommunicationInline]


@admin.register(Company)
class CompanyAdmin(ItemAdmin):
    list_display = ("title", "industry", "assigned_to", "created_at")
    list_select_related = ("assigned_to",)
    search_fields = ("search_text",)
    inlines = [CommunicationInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageHistory)
class StageHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "lead",
        "deal",
        "pipeline",
        "from_stage",
        "to_stage",
        "moved_by",
        "is_backward",
    )
    list_select_related = ("lead", "deal", "pipeline", "from_stage", "to_stage", "moved_by")
    show_full_result_count = False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "lead", "deal", "contact", "company", "actor")
    list_filter = ("kind",)
    list_select_related = ("lead", "deal", "contact", "company", "actor")
    show_full_result_count = False


@admin.register(RecycleBinEntry)
class RecycleBinEntryAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "entity", "deleted_by", "deleted_at")
    exclude = ("snapshot",)
