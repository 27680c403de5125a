import json

from django.contrib import admin, messages
from django.utils.html import format_html

from ops.services import ops_webhook_reapply
from shop.admin_mixins import ReadOnlyAdmin, ops_allowed
from shop.errors import ApplicationError
from webhooks.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every callback as it arrived (secrets in headers masked); nothing here is editable.
    A delivery that failed on our side can be re-applied (idempotent)."""

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
    list_select_related = ("order",)
    search_fields = ("wager_code", "reference", "order__code", "error")
    date_hierarchy = "received_at"
    exclude = ("raw_body", "headers")
    readonly_fields = ("body", "headers_shown")
    actions = ("reapply_selected",)

    @admin.display(description="Raw body")
    def body(self, delivery: WebhookDelivery):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", delivery.body_text)

    @admin.display(description="Headers (secrets masked)")
    def headers_shown(self, delivery: WebhookDelivery):
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            json.dumps(delivery.headers, indent=2, sort_keys=True),
        )

    def has_reapply_webhook_permission(self, request) -> bool:
        return ops_allowed(request, "reapply_webhook")

    @admin.action(description="Re-apply (failed on our side only)", permissions=["reapply_webhook"])
    def reapply_selected(self, request, queryset) -> None:
        for delivery in queryset.order_by("pk"):
            try:
                delivery = ops_webhook_reapply(delivery=delivery, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"#{delivery.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"#{delivery.pk}: now {delivery.outcome}.")
