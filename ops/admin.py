from django.contrib import admin

from ops import admin_messages, admin_orders  # noqa: F401  (registers their admins)
from ops.models import ReconciliationRun, VoucherReveal, WebhookBodyReveal
from shop.admin_mixins import ReadOnlyAdmin


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "code",
        "window_start",
        "window_end",
        "booked",
        "reported",
        "difference",
        "ok",
    )
    list_filter = ("ok", "kind", "code")
    search_fields = ("code", "note")
    date_hierarchy = "created_at"


@admin.register(VoucherReveal)
class VoucherRevealAdmin(ReadOnlyAdmin):
    """Who saw which voucher's code, when and from where."""

    list_display = ("created_at", "staff", "voucher", "remote_addr")
    list_filter = ("staff",)
    list_select_related = ("staff", "voucher__order")
    search_fields = ("staff__username", "voucher__order__code")
    date_hierarchy = "created_at"


@admin.register(WebhookBodyReveal)
class WebhookBodyRevealAdmin(ReadOnlyAdmin):
    """Who saw which webhook delivery's raw body, when and from where."""

    list_display = ("created_at", "staff", "delivery", "remote_addr")
    list_filter = ("staff",)
    list_select_related = ("staff", "delivery")
    search_fields = ("staff__username", "delivery__reference", "delivery__order__code")
    date_hierarchy = "created_at"
