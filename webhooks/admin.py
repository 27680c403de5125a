import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.html import format_html

from ops.services import ops_webhook_body_reveal, ops_webhook_reapply
from providers.http import ALWAYS_REDACTED, redact
from shop.admin_mixins import ConfirmForm, ReadOnlyAdmin, ops_allowed, render_operation
from shop.errors import ApplicationError
from webhooks.models import WebhookDelivery


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every callback as it arrived (secrets in headers masked); nothing here is editable.
    A delivery that failed on our side can be re-applied (idempotent).

    A body can carry what a buyer redeems (a Digiflazz `sn` holds a PLN token): the page
    shows it with those fields redacted; staff with `ops.reveal_voucher` can reveal it raw,
    which is recorded (WebhookBodyReveal), as a voucher reveal is."""

    change_form_template = "ops/webhookdelivery_change_form.html"

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
    readonly_fields = ("redacted_body", "headers_shown")
    actions = ("reapply_selected",)

    @admin.display(description="Body (codes and serials redacted)")
    def redacted_body(self, delivery: WebhookDelivery):
        kept = len(bytes(delivery.raw_body))
        if kept < delivery.body_size:  # an unverified delivery keeps only its first KiB
            return format_html(
                "<p>Only the first {} of {} bytes are kept: the signature did not verify. "
                "SHA-256 of the whole body: <code>{}</code></p>",
                kept,
                delivery.body_size,
                delivery.body_sha256 or "not read whole",
            )
        try:
            shown = json.dumps(redact(json.loads(delivery.body_text), ALWAYS_REDACTED), indent=2)
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
            shown = f"[{delivery.body_size} bytes, not JSON: shown only with the reveal permission]"
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", shown)

    @admin.display(description="Headers (secrets masked)")
    def headers_shown(self, delivery: WebhookDelivery):
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            json.dumps(delivery.headers, indent=2, sort_keys=True),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="webhooks_webhookdelivery_reveal",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_reveal": ops_allowed(request, "reveal_voucher")}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def reveal_view(self, request, pk: int):
        """GET asks for confirmation; POST records a WebhookBodyReveal and shows the body."""
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        if not self.has_view_permission(request, delivery) or not ops_allowed(
            request, "reveal_voucher"
        ):
            raise PermissionDenied
        revealed_body, form = None, ConfirmForm()
        if request.method == "POST":
            revealed_body = ops_webhook_body_reveal(
                delivery=delivery, staff=request.user, remote_addr=request.META.get("REMOTE_ADDR")
            )
            form = None
        return render_operation(
            request,
            self.admin_site,
            title="Reveal raw body",
            obj=delivery,
            form=form,
            intro="Revealing a raw body is recorded with your name and address.",
            extra={"revealed_body": revealed_body},
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
