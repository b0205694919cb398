"""Admin for users, departments and roles."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import ApiToken, Department, Role, RolePermission, User
from voronka.accounts.rights import is_administrator
from voronka.accounts.selectors import active_users
from voronka.accounts.services import create_token, revoke_token
from voronka.lib.errors import DomainError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "department", "role", "is_active")
    list_filter = ("department", "role", "is_active", "is_superuser")
    list_select_related = ("department", "role")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("CRM profile"),
            {
                "fields": (
                    "middle_name",
                    "position",
                    "phone",
                    "department",
                    "role",
                    "signature",
                    "language",
                    "absent_until",
                )
            },
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("CRM profile"), {"fields": ("first_name", "last_name", "email", "department", "role")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_system=False)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "head", "sort")
    list_select_related = ("parent", "head")
    search_fields = ("name",)


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    extra = 0


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "is_admin")
    inlines = [RolePermissionInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here (shown once, in a message) and revoked; they are never edited."""

    list_display = ("prefix", "name", "user", "is_read_only", "created_at", "last_used_at", "revoked_at")
    list_filter = ("is_read_only", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    fields = ("user", "name", "is_read_only")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else ("user", "name", "is_read_only", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "name", "is_read_only", *self.readonly_fields)

    def has_add_permission(self, request):
        # Administrators create tokens for anyone; the service refuses everybody else.
        return is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, raw = create_token(
            user=form.cleaned_data["user"],
            actor=request.user,
            name=form.cleaned_data.get("name", ""),
            read_only=form.cleaned_data.get("is_read_only", False),
        )
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        obj._state.db = token._state.db
        messages.warning(
            request,
            _("Copy the token now, it is not shown again: %(token)s") % {"token": raw},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at=None):
            try:
                revoke_token(token, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
            revoked += 1
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": revoked}, messages.SUCCESS)
