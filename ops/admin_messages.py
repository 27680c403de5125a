"""The outbox in the admin: every message to a buyer or a staff chat, its state and last
error, and a resend action for failed ones (ops.resend_message, recorded as MessageResend).
A message holding voucher codes shows neither its text nor its parameters here: staff read
codes only through the audited reveal on the order."""

from django.contrib import admin, messages

from ops.models import MessageResend
from ops.services import ops_message_resend
from shop.admin_mixins import ReadOnlyAdmin, ops_allowed
from shop.errors import ApplicationError
from shop.models import OutboundMessage

HIDDEN = "[holds voucher codes: not shown]"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "subject_shown",
        "template",
        "state",
        "attempts",
        "last_error",
    )
    list_filter = ("state", "channel", "alert_kind", "template")
    search_fields = ("event_key", "recipient", "external_id")
    date_hierarchy = "created_at"
    exclude = ("body", "params")
    readonly_fields = ("body_shown", "params_shown")
    actions = ("resend_selected",)

    @admin.display(description="Subject")
    def subject_shown(self, message: OutboundMessage) -> str:
        return message.subject or message.template

    @admin.display(description="Body")
    def body_shown(self, message: OutboundMessage) -> str:
        return HIDDEN if message.confidential else message.body

    @admin.display(description="Template parameters")
    def params_shown(self, message: OutboundMessage) -> str:
        return HIDDEN if message.confidential else " | ".join(map(str, message.params))

    def has_resend_message_permission(self, request) -> bool:
        return ops_allowed(request, "resend_message")

    @admin.action(description="Resend (failed messages only)", permissions=["resend_message"])
    def resend_selected(self, request, queryset) -> None:
        for message in queryset.order_by("pk"):
            try:
                ops_message_resend(message=message, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"#{message.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"#{message.pk}: queued again.")


@admin.register(MessageResend)
class MessageResendAdmin(ReadOnlyAdmin):
    """Who sent which failed message again, and the error it had then."""

    list_display = ("created_at", "staff", "message", "error_before")
    list_filter = ("staff",)
    list_select_related = ("staff", "message")
    search_fields = ("staff__username", "message__recipient", "message__event_key")
    date_hierarchy = "created_at"
