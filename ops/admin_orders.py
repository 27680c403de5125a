"""Orders in the admin: read-only records, and the staff operations that go through the
services (registered by ops/admin.py: orders import no staff tooling).

Each operation is a confirmation page (`<order>/operate/<name>/`) guarded by an `ops.*`
permission; the service it calls enforces the state rules for everyone.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ops import services as ops_services
from orders.masking import masked, masked_order_codes
from orders.models import Order, OrderAttempt, OrderEvent, OrderStatus, Voucher
from providers.models import ProviderCall
from shop.admin_mixins import (
    ConfirmForm,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ops_allowed,
    render_operation,
)
from shop.errors import ApplicationError
from shop.models import Notification
from wallets.models import Transfer
from wallets.transfer_keys import OrderTransferKind, order_transfer_key
from webhooks.models import WebhookDelivery


def revocation(voucher: Voucher) -> str:
    """Whether the provider took the voucher back (Hubble REVERSED), when and why."""
    if not voucher.is_revoked:
        return "Valid"
    when = timezone.localtime(voucher.revoked_at)
    return f"Revoked {when:%Y-%m-%d %H:%M}: {voucher.revoked_reason}"


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "message", "actor")
    readonly_fields = fields
    show_change_link = False


class OrderAttemptInline(ReadOnlyInline):
    """Each placement of the order at one route: provider, reference, cost and outcome
    (a failover adds one; docs/pipeline.md "Attempts and failover")."""

    model = OrderAttempt
    fields = (
        "number",
        "provider_code",
        "provider_sku",
        "reference",
        "cost",
        "outcome",
        "provider_order_id",
        "provider_rc",
        "message",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    show_change_link = False


class VoucherInline(ReadOnlyInline):
    """Codes, PINs and serials (a PLN serial holds the token) are masked; staff with
    `ops.reveal_voucher` reveal them (audited)."""

    model = Voucher
    fields = (
        "masked_code",
        "masked_pin",
        "masked_serial",
        "expires_on",
        "amount",
        "revocation",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="State")
    def revocation(self, voucher: Voucher) -> str:
        return revocation(voucher)

    @admin.display(description="Code")
    def masked_code(self, voucher: Voucher) -> str:
        return masked(voucher.code)

    @admin.display(description="PIN")
    def masked_pin(self, voucher: Voucher) -> str:
        return masked(voucher.pin)

    @admin.display(description="Serial")
    def masked_serial(self, voucher: Voucher) -> str:
        return masked(voucher.serial)


class WebhookDeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("received_at", "source", "outcome", "http_status", "signature_valid", "error")
    readonly_fields = fields


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded on the order's history."
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


@dataclass(frozen=True)
class Operation:
    title: str
    permission: str  # ops.<permission>
    statuses: tuple  # where the button is offered (the service has the final word)
    needs_reason: bool = False


OPERATIONS = {
    "retry": Operation("Retry placement", "manage_orders", (OrderStatus.NEEDS_REVIEW,)),
    "check": Operation(
        "Check status now", "manage_orders", (OrderStatus.PROCESSING, OrderStatus.NEEDS_REVIEW)
    ),
    "fail_refund": Operation(
        "Fail and refund",
        "refund_orders",
        (OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.FAILED),
        needs_reason=True,
    ),
    "deliver": Operation(
        "Resolve review: deliver", "manage_orders", (OrderStatus.NEEDS_REVIEW,), True
    ),
    "keep_refunded": Operation(
        "Resolve review: keep refunded", "refund_orders", (OrderStatus.NEEDS_REVIEW,), True
    ),
    "resend": Operation(
        "Resend the buyer's e-mail",
        "manage_orders",
        (OrderStatus.SUCCESS, OrderStatus.FAILED, OrderStatus.REFUNDED),
    ),
}


def _run(name: str, order: Order, request, reason: str) -> tuple[Order, str]:
    actor = request.user
    if name == "retry":
        return ops_services.ops_order_retry_placement(order=order, actor=actor), "Placement queued."
    if name == "check":
        if ops_services.ops_order_check_status(order=order, actor=actor):
            return order, "Status check queued; this page shows the provider's answer once in."
        return order, "A status check is already in flight; its answer will show here."
    if name == "fail_refund":
        order = ops_services.ops_order_fail_and_refund(order=order, actor=actor, reason=reason)
        return order, f"The order is {order.status}."
    if name == "deliver":
        order = ops_services.ops_order_resolve_deliver(order=order, actor=actor, reason=reason)
        return order, "Delivered."
    if name == "keep_refunded":
        order = ops_services.ops_order_resolve_refund(order=order, actor=actor, reason=reason)
        return order, "Kept refunded."
    return ops_services.ops_order_resend_email(order=order, actor=actor), "E-mail resent."


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders move only through orders.services: every field here is read-only, so the page
    has no Save (a POST is refused); operations have their own pages and permissions."""

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
    list_select_related = ("user",)
    inlines = [OrderAttemptInline, OrderEventInline, VoucherInline, WebhookDeliveryInline]
    change_form_template = "ops/order_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = [field.name for field in Order._meta.fields if field.name != "access_token"]
        return [*fields, "provider_calls", "ledger"]

    @admin.display(description="Provider calls")
    def provider_calls(self, order: Order):
        calls = ProviderCall.objects.filter(reference=order.code).order_by("pk")[:50]
        if not calls:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{} {}</td><td>{}</td><td>{}</td>"
            "<td>{} ms</td></tr>",
            (
                (
                    reverse("admin:providers_providercall_change", args=[call.pk]),
                    f"{call.created_at:%Y-%m-%d %H:%M:%S}",
                    call.method,
                    call.endpoint,
                    call.http_status or "",
                    call.outcome,
                    call.latency_ms,
                )
                for call in calls
            ),
        )
        return format_html("<table>{}</table>", rows)

    @admin.display(description="Ledger")
    def ledger(self, order: Order):
        # the order's own transfers, and its keyed ones (the delivering route's cost
        # names the attempt's reference)
        transfers = Transfer.objects.filter(
            Q(reference=order.code) | Q(idempotency_key__startswith=f"order:{order.code}:")
        ).order_by("pk")
        if not transfers:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "<a href='{}'>{}</a> ({})",
            (
                (reverse("admin:wallets_transfer_change", args=[t.pk]), t.idempotency_key, t.reason)
                for t in transfers
            ),
        )

    # --- operations --------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:pk>/operate/<str:name>/",
                self.admin_site.admin_view(self.operate_view),
                name="orders_order_operate",
            ),
            path(
                "<int:pk>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="orders_order_reveal",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        offered = []
        if order is not None:
            offered = [
                (name, op.title)
                for name, op in OPERATIONS.items()
                if order.status in op.statuses and ops_allowed(request, op.permission)
            ]
        extra = {
            "operations": offered,
            "can_reveal": order is not None
            and ops_allowed(request, "reveal_voucher")
            and order.vouchers.exists(),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def operate_view(self, request, pk: int, name: str):
        order = get_object_or_404(Order, pk=pk)
        operation = OPERATIONS.get(name)
        if operation is None:
            raise PermissionDenied
        permission = operation.permission
        # Delivering after a wallet refund takes money back: a money action.
        if (
            name == "deliver"
            and Transfer.objects.filter(
                idempotency_key=order_transfer_key(
                    order_code=order.code, kind=OrderTransferKind.REFUND
                )
            ).exists()
        ):
            permission = "refund_orders"
        if not self.has_view_permission(request, order) or not ops_allowed(request, permission):
            raise PermissionDenied
        form_class = ReasonForm if operation.needs_reason else ConfirmForm
        form = form_class(request.POST or None) if request.method == "POST" else form_class()
        if request.method == "POST" and form.is_valid():
            try:
                order, done = _run(name, order, request, form.cleaned_data.get("reason", ""))
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{order.code}: {done}", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return render_operation(
            request,
            self.admin_site,
            title=operation.title,
            obj=order,
            form=form,
            intro=f"{order.code} is {order.get_status_display()}.",
        )

    def reveal_view(self, request, pk: int):
        """GET asks for confirmation; POST records one VoucherReveal per voucher and shows
        the codes."""
        order = get_object_or_404(Order, pk=pk)
        if not ops_allowed(request, "reveal_voucher"):
            raise PermissionDenied
        revealed = None
        form = ConfirmForm()
        if request.method == "POST":
            revealed = [
                ops_services.ops_voucher_reveal(
                    voucher=voucher, staff=request.user, remote_addr=request.META.get("REMOTE_ADDR")
                )
                for voucher in order.vouchers.all()
            ]
            form = None
        return render_operation(
            request,
            self.admin_site,
            title="Reveal voucher codes",
            obj=order,
            form=form,
            intro="Revealing codes is recorded with your name and address.",
            extra={"revealed": revealed},
        )


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("order", "from_status", "to_status", "message", "actor", "created_at")
    list_filter = ("to_status",)
    list_select_related = ("order", "actor")
    search_fields = ("order__code", "message")
    date_hierarchy = "created_at"


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    """Codes, PINs and serials stay hidden here; the order page reveals them (audited)."""

    list_display = ("order", "masked_serial", "expires_on", "amount", "revocation", "created_at")
    list_filter = ("order__provider_code", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("order",)
    search_fields = ("order__code", "serial")
    date_hierarchy = "created_at"
    exclude = ("code", "pin", "serial")
    readonly_fields = ("masked_serial", "revocation")

    @admin.display(description="State")
    def revocation(self, voucher: Voucher) -> str:
        return revocation(voucher)

    @admin.display(description="Serial")
    def masked_serial(self, voucher: Voucher) -> str:
        return masked(voucher.serial)


# A notification is shop's; its admin lives here because a buyer's message carries the
# order's voucher codes, which only orders knows how to mask (shop sits below orders).
@admin.register(OrderAttempt)
class OrderAttemptAdmin(ReadOnlyAdmin):
    """Every placement of an order at a route (docs/pipeline.md "Attempts and failover")."""

    list_display = (
        "reference",
        "number",
        "provider_code",
        "provider_sku",
        "cost",
        "outcome",
        "provider_rc",
        "started_at",
        "finished_at",
    )
    list_filter = ("outcome", "provider_code")
    search_fields = ("reference", "order__code", "provider_order_id")
    date_hierarchy = "started_at"
    list_select_related = ("order",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "level", "created_at", "read_at")
    list_filter = ("level", ("user", admin.EmptyFieldListFilter))
    # Not the message: a buyer's notification carries the order's codes, and a search by
    # code would tell staff which order holds one.
    search_fields = ("title", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "title", "message_shown", "level", "data", "created_at")
    fields = (*readonly_fields, "read_at")  # staff may mark a notification read or unread

    @admin.display(description="Message (codes masked)")
    def message_shown(self, notification: Notification) -> str:
        order_code = (notification.data or {}).get("order")
        if not isinstance(order_code, str) or not order_code:
            return notification.message
        return masked_order_codes(notification.message, order_code=order_code)
