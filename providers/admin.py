from django.contrib import admin

from providers.models import ProviderCall, SimulatedOrder
from shop.admin_mixins import ReadOnlyAdmin


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "provider",
        "method",
        "endpoint",
        "http_status",
        "outcome",
        "latency_ms",
        "reference",
    )
    list_filter = ("provider", "outcome", "endpoint")
    search_fields = ("request_id", "reference", "url", "error")
    date_hierarchy = "created_at"


@admin.register(SimulatedOrder)
class SimulatedOrderAdmin(ReadOnlyAdmin):
    list_display = ("provider", "reference", "external_id", "status", "resolve_at", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("reference", "external_id")
    date_hierarchy = "created_at"
