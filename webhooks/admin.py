import json

from django.contrib import admin, messages
from django.utils.html import format_html

from ops.services import ops_webhook_reapply
from providers.http import ALWAYS_REDACTED, redact
from shop.admin_mixins import ReadOnlyAdmin, ops_allowed
from shop.errors import ApplicationError
from webhooks.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every callback as it arrived (secrets in headers masked); nothing here is editable.
    A delivery that failed on our side can be re-applied (idempotent).

    A body can carry what a buyer redeems (a Digiflazz `sn` holds a PLN token): only staff
    with `ops.reveal_voucher` see it raw; others see it with those fields redacted."""

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
    actions = ("reapply_selected",)

    def get_readonly_fields(self, request, obj=None):
        if ops_allowed(request, "reveal_voucher"):
            return ("body", "headers_shown")
        return ("redacted_body", "headers_shown")

    @admin.display(description="Raw body")
    def body(self, delivery: WebhookDelivery):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", delivery.body_text)

    @admin.display(description="Body (codes and serials redacted)")
    def redacted_body(self, delivery: WebhookDelivery):
        try:
            shown = json.dumps(redact(json.loads(delivery.body_text), ALWAYS_REDACTED), indent=2)
        except ValueError:
            shown = f"[{delivery.body_size} bytes, not JSON: shown only with the reveal permission]"
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", shown)

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
