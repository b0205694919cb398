"""Admin: message templates (saved through the services, so placeholders are checked) and a read-only view of messages."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from voronka.lib.errors import DomainError
from voronka.messaging.models import Message, Template
from voronka.messaging.services.templates import FIELDS, create_template, update_template, validate


class TemplateForm(admin.ModelAdmin.form):
    def clean(self):
        cleaned = super().clean()
        try:
            validate({name: cleaned.get(name) for name in FIELDS})
        except DomainError as error:
            raise ValidationError(error.details or str(error.message)) from error
        return cleaned


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ("name", "channel", "entity", "is_active", "updated_at")
    list_filter = ("channel", "entity", "is_active")
    fields = ("channel", "name", "entity", "subject", "body", "is_active")

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in FIELDS}
        try:
            if change:
                update_template(Template.objects.get(pk=obj.pk), actor=request.user, **values)
            else:
                obj.pk = create_template(actor=request.user, **values).pk
        except DomainError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "channel", "status", "to", "created_at", "sent_at", "opened_at", "clicked_at")
    list_filter = ("channel", "status", "is_bounce")
    search_fields = ("to", "subject", "message_id")
    raw_id_fields = ("lead", "deal", "contact", "company", "template", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
