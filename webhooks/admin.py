from django.contrib import admin
from django.utils.html import format_html

from shop.admin_mixins import ReadOnlyAdmin
from webhooks.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every callback as it arrived (secrets in headers masked); nothing here is editable."""

    list_display = (
        "received_at",
        "source",
        "outcome",
        "http_status",
        "signature_valid",
        "remote_addr",
        "order",
        "wager_code",
        "reference",
    )
    list_filter = ("source", "outcome", "signature_valid")
    search_fields = ("wager_code", "reference", "order__code", "error")
    date_hierarchy = "received_at"
    exclude = ("raw_body",)
    readonly_fields = ("body",)

    @admin.display(description="Raw body")
    def body(self, delivery: WebhookDelivery):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", delivery.body_text)
