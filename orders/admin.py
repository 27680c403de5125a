from django.contrib import admin

from orders.models import Order, OrderEvent, Voucher
from shop.admin_mixins import ReadOnlyAdmin, ReadOnlyInline


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "message", "actor")
    readonly_fields = fields
    show_change_link = False


class VoucherInline(ReadOnlyInline):
    model = Voucher
    fields = ("serial", "expires_on", "amount", "created_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders move only through orders.services: every field here is read-only."""

    list_display = (
        "code",
        "status",
        "product_name",
        "customer_no",
        "price",
        "currency",
        "payment_method",
        "user",
        "guest_email",
        "created_at",
    )
    list_filter = ("status", "payment_method", "provider_code", "needs_verification")
    search_fields = ("code", "customer_no", "guest_email", "user__username", "provider_order_id")
    date_hierarchy = "created_at"
    exclude = ("access_token",)
    inlines = [OrderEventInline, VoucherInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields if field.name != "access_token"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("order", "from_status", "to_status", "message", "actor", "created_at")
    list_filter = ("to_status",)
    search_fields = ("order__code", "message")
    date_hierarchy = "created_at"


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    """Codes and PINs stay hidden here; the admin issue adds audited reveal."""

    list_display = ("order", "serial", "expires_on", "amount", "created_at")
    search_fields = ("order__code", "serial")
    date_hierarchy = "created_at"
    exclude = ("code", "pin")
