from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from shop.models import Heartbeat, Notification, User

# Who may touch what a staff account can do: its flags, groups, permissions and password.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _manages_staff(request) -> bool:
    return request.user.is_superuser or request.user.has_perm("auth.change_group")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Support staff manage customers; only superusers and staff who manage groups (the
    admin group) grant rights or change a staff account (its password included), so
    nobody can give themselves the money actions."""

    list_display = ("username", "email", "role", "price_tier", "is_staff", "date_joined")
    list_filter = ("role", "price_tier", "is_staff", "is_active", "groups")
    date_hierarchy = "date_joined"
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Shop", {"fields": ("role", "price_tier")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Shop", {"fields": ("role", "price_tier")}))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if _manages_staff(request) else [*fields, *PRIVILEGE_FIELDS]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not _manages_staff(request):
            return False
        return super().has_change_permission(request, obj)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at")
    search_fields = ("name",)
    readonly_fields = ("name", "beat_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "level", "created_at", "read_at")
    list_filter = ("level", ("user", admin.EmptyFieldListFilter))
    search_fields = ("title", "message", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "title", "message", "level", "data", "created_at")
