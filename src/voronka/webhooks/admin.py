"""Admin for webhook subscriptions (written through the services) and their delivery log."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from voronka.accounts.rights import is_administrator
from voronka.lib.errors import Invalid
from voronka.webhooks import catalogue
from voronka.webhooks.models import WebhookDelivery, WebhookSubscription
from voronka.webhooks.services import (
    clean_events,
    clean_target,
    create_subscription,
    delete_subscription,
    update_subscription,
)


def _event_choices() -> list[tuple[str, str]]:
    return [("*", _("Every event")), *((name, name) for name in sorted(catalogue.EVENTS))]


class SubscriptionForm(forms.ModelForm):
    target_url = forms.URLField(label=_("target URL"), max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=_event_choices, widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        help_text=_("Leave empty to generate one (or to keep the current one)."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "target_url", "events", "secret", "is_active")

    def clean_target_url(self):
        try:
            return clean_target(self.cleaned_data["target_url"])
        except Invalid as error:
            raise forms.ValidationError(str(error.message)) from None

    def clean_events(self):
        try:
            return clean_events(self.cleaned_data["events"])
        except Invalid as error:
            raise forms.ValidationError(str(error.message)) from None


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("created_at", "event", "status", "attempts", "response_status", "next_attempt_at", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ("-pk",)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("__str__", "target_url", "is_active", "created_at")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = [DeliveryInline]

    def has_module_permission(self, request):
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    has_add_permission = has_view_permission  # type: ignore[assignment]
    has_change_permission = has_view_permission  # type: ignore[assignment]
    has_delete_permission = has_view_permission  # type: ignore[assignment]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "current_secret") if obj else self.readonly_fields

    @admin.display(description=_("current signing secret"))
    def current_secret(self, obj):
        return obj.secret

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in ("name", "target_url", "events", "is_active")}
        secret = form.cleaned_data.get("secret") or None
        if change:
            saved = update_subscription(obj, actor=request.user, secret=secret, **values)
        else:
            saved = create_subscription(actor=request.user, secret=secret, **values)
        for field in WebhookSubscription._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change):
        # The delivery log is read-only: nothing of it is saved from the form.
        return

    def delete_model(self, request, obj):
        delete_subscription(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            delete_subscription(subscription, actor=request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "event", "subscription", "status", "attempts", "response_status")
    list_filter = ("status", "event")
    list_select_related = ("subscription",)
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_module_permission(self, request):
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
