from django.contrib import admin, messages

from resellers.callbacks import callback_resend
from resellers.models import ApiKey, ApiOrder, CallbackAttempt, CallbackDelivery, ResellerSettings
from resellers.services import api_key_revoke
from shop.admin_mixins import ReadOnlyAdmin, ReadOnlyInline


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    date_hierarchy = "created_at"
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made by the reseller, who alone sees the raw key

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} keys.")


@admin.register(ResellerSettings)
class ResellerSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "callback_url", "previous_secret_expires_at", "updated_at"]
    search_fields = ["user__username", "callback_url"]
    date_hierarchy = "updated_at"
    readonly_fields = ["user", "secret", "previous_secret", "previous_secret_expires_at"]


@admin.register(ApiOrder)
class ApiOrderAdmin(ReadOnlyAdmin):
    list_display = ["ref_id", "user", "order", "created_at"]
    list_filter = ["order__status"]
    list_select_related = ["user", "order"]
    search_fields = ["ref_id", "order__code", "user__username"]
    date_hierarchy = "created_at"


class CallbackAttemptInline(ReadOnlyInline):
    model = CallbackAttempt
    fields = ["number", "created_at", "url", "http_status", "error", "duration_ms", "will_retry"]
    readonly_fields = fields
    show_change_link = False


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "webhook_id",
        "user",
        "order",
        "event_type",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "order__code", "user__username"]
    date_hierarchy = "created_at"
    inlines = [CallbackAttemptInline]
    actions = ["resend"]

    @admin.action(description="Resend the selected callbacks now")
    def resend(self, request, queryset):
        for delivery in queryset:
            callback_resend(delivery=delivery)
        messages.success(request, f"Queued {queryset.count()} callbacks again.")


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    """Every attempt to deliver a reseller callback, with the reply it got."""

    list_display = [
        "delivery",
        "number",
        "url",
        "http_status",
        "duration_ms",
        "will_retry",
        "created_at",
    ]
    list_filter = ["will_retry", "http_status"]
    list_select_related = ["delivery"]
    search_fields = ["delivery__webhook_id", "delivery__order__code", "url", "error"]
    date_hierarchy = "created_at"
