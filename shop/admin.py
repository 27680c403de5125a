from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from shop.models import Heartbeat, Notification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "price_tier", "is_staff", "date_joined")
    list_filter = ("role", "price_tier", "is_staff", "is_active", "groups")
    date_hierarchy = "date_joined"
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Shop", {"fields": ("role", "price_tier")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Shop", {"fields": ("role", "price_tier")}))


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
