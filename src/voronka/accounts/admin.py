"""Admin for users, departments and roles."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Department, Role, RolePermission, User


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
