"""Orders, their audit trail of transitions, and the vouchers they deliver."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from providers.base import FailureKind
from shop.money import money_field

__all__ = ["FailureKind"]  # re-exported: an order's failure_kind takes its values


class OrderStatus(models.TextChoices):
    # A postpaid bill shown to the buyer, its amount fixed, not confirmed yet (docs/bills.md).
    INQUIRED = "inquired", _("Bill shown")
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid")
    PROCESSING = "processing", _("Processing")
    SUCCESS = "success", _("Success")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    NEEDS_REVIEW = "needs_review", _("Needs review")


S = OrderStatus
# The state machine as data: {state: states it may move to}. Anything else is refused.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    # The buyer confirms a bill (wallet: paid at once; gateway: awaiting payment), or it
    # expires at the provider's cut-off, or a new inquiry of the same bill replaces it.
    S.INQUIRED: frozenset({S.PENDING_PAYMENT, S.PAID, S.EXPIRED, S.CANCELLED}),
    S.PENDING_PAYMENT: frozenset({S.PAID, S.EXPIRED, S.CANCELLED, S.NEEDS_REVIEW}),
    S.PAID: frozenset({S.PROCESSING, S.SUCCESS, S.FAILED, S.NEEDS_REVIEW}),
    # Back to `paid` only to fail over: its attempt failed (final), the next route places it.
    S.PROCESSING: frozenset({S.PAID, S.SUCCESS, S.FAILED, S.NEEDS_REVIEW}),
    S.FAILED: frozenset({S.REFUNDED, S.NEEDS_REVIEW}),
    # A payment or a success that arrives after the order ended waits for a person.
    S.REFUNDED: frozenset({S.NEEDS_REVIEW}),
    S.EXPIRED: frozenset({S.NEEDS_REVIEW}),
    S.CANCELLED: frozenset({S.NEEDS_REVIEW}),
    # Staff resolve a review: place it (paid), deliver (success), or refund / keep refunded;
    # an order in review only because its provider had not finished is settled by the
    # provider's final answer when it comes (success, or failed and then refunded).
    S.NEEDS_REVIEW: frozenset({S.PAID, S.SUCCESS, S.FAILED, S.REFUNDED}),
    # The provider took back what it delivered (Hubble REVERSED): a person decides.
    S.SUCCESS: frozenset({S.NEEDS_REVIEW}),
}
# When each state is entered, this field records the time.
STATUS_TIMESTAMP_FIELDS = {
    S.PAID: "paid_at",
    S.PROCESSING: "processing_at",
    S.SUCCESS: "completed_at",
    S.FAILED: "failed_at",
    S.REFUNDED: "refunded_at",
    S.EXPIRED: "closed_at",
    S.CANCELLED: "closed_at",
    S.NEEDS_REVIEW: "review_at",
}


# What a buyer reads of a failure, by kind, in their language (the provider's words, in
# `failure_reason`, are for staff).
FAILURE_MESSAGES = {
    FailureKind.ACCOUNT: _(
        "The supplier did not accept the account details. Please check them and order again."
    ),
    FailureKind.UNAVAILABLE: _(
        "This item is not available from the supplier right now. Please try again later or "
        "choose another item."
    ),
    FailureKind.TIMEOUT: _("The supplier did not deliver this order in time."),
    FailureKind.STAFF: _("Our staff cancelled this order."),
    FailureKind.SUPPLIER: _("The supplier could not complete this order."),
    FailureKind.REVOKED: _(
        "The supplier took back the codes of this order. Our staff are checking it and will "
        "contact you."
    ),
}


# Orders the pipeline asks their provider about (see Order.waits_on_provider).
WAITS_ON_PROVIDER = Q(status=OrderStatus.PROCESSING) | Q(
    status=OrderStatus.NEEDS_REVIEW, waiting_on_provider=True
)


class OrderKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    BILL = "bill", _("Bill")


# A bill order not paid yet: at most one per (product, customer number) at a time.
OPEN_BILL_STATUSES = (OrderStatus.INQUIRED, OrderStatus.PENDING_PAYMENT)


class PaymentMethod(models.TextChoices):
    BALANCE = "balance", _("Wallet balance")
    GATEWAY = "gateway", _("Payment gateway")


class Order(models.Model):
    code = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    guest_email = models.EmailField(blank=True)
    # A guest's WhatsApp number (E.164, +62…): order messages and codes go there.
    guest_phone = models.CharField(max_length=16, blank=True)
    # Lets a guest open the order page from the link in the e-mail.
    access_token = models.CharField(max_length=64, unique=True)
    # The storefront form's one-time token: the same form sent again finds this order
    # instead of making another. Null for orders made elsewhere (the API has its ref_id).
    checkout_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )

    # What was bought, as it was when the order was made.
    # The shop item bought (null for bills and orders made before routing), and the route
    # it is being bought through now: `product`, `provider_code`, `provider_sku` and `cost`
    # are the current attempt's (OrderAttempt keeps every attempt).
    shop_item = models.ForeignKey(
        "catalog.ShopItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=200)
    provider_code = models.CharField(max_length=32)
    provider_sku = models.CharField(max_length=100)
    price_tier = models.CharField(max_length=16)
    customer_data = models.JSONField(default=dict)
    customer_no = models.CharField(max_length=200)
    # The account holder the account check named and the buyer was shown (a nickname, a
    # PLN customer's name), from the shop's own check, never from the buyer; "" unchecked.
    account_name = models.CharField(max_length=200, blank=True)
    amount = money_field(null=True, blank=True, help_text="Face amount of a flexible product.")
    kind = models.CharField(max_length=16, choices=OrderKind.choices, default=OrderKind.PRODUCT)
    # A bill's parts (price = bill_amount + bill_admin_fee + bill_service_fee), the bill as
    # the provider's inquiry showed it (name, periods, details) and when the inquiry lapses.
    bill_amount = money_field(null=True, blank=True)
    bill_admin_fee = money_field(null=True, blank=True)
    bill_service_fee = money_field(null=True, blank=True)
    bill = models.JSONField(default=dict, blank=True)
    inquiry_expires_at = models.DateTimeField(null=True, blank=True)

    price = money_field()
    cost = money_field()
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    payment_expires_at = models.DateTimeField(null=True, blank=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    # The gateway the payment was made at (asked before the order expires); "" for orders
    # made before it was kept: the configured gateway is asked.
    payment_gateway = models.CharField(max_length=32, blank=True)
    payment_channel = models.CharField(max_length=32, blank=True)
    # checkout URL, pay code, QR and instructions from the gateway, shown again on refresh
    payment_instructions = models.JSONField(default=dict, blank=True)
    amount_received = money_field(null=True, blank=True)
    # The buyer's language when ordering: their e-mails and notes are written in it.
    language = models.CharField(max_length=8, blank=True)

    # What the provider said last.
    provider_order_id = models.CharField(max_length=100, blank=True)
    provider_status = models.CharField(max_length=32, blank=True)
    provider_message = models.TextField(blank=True)
    provider_rc = models.CharField(max_length=16, blank=True)
    # The last placement's outcome is unknown: look it up by reference before anything else.
    needs_verification = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    poll_count = models.PositiveIntegerField(default=0)
    first_requested_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The poll message currently allowed to run; a duplicate or stale message finds another.
    poll_claim = models.CharField(max_length=32, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    # In review only because the provider has not said how it ended (past the deadline):
    # the slow schedule keeps asking (next_poll_at) and its final answer settles the order.
    # Any other move clears it, so orders in review for other reasons are never polled.
    waiting_on_provider = models.BooleanField(default=False)

    failure_reason = models.TextField(
        blank=True, help_text="The provider's or staff's own words; buyers never see them."
    )
    failure_kind = models.CharField(
        max_length=16,
        blank=True,
        choices=[(kind.value, kind.value) for kind in FailureKind],
        help_text="Picks the message buyers read, in their language.",
    )
    refund_note = models.TextField(blank=True)

    # Stamped on creation like auto_now_add, but settable: an order stored already paid
    # gets the same instant for both.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    processing_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    review_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_email="") | ~Q(guest_phone=""),
                name="order_has_buyer",
            ),
            models.CheckConstraint(
                condition=~Q(payment_method="balance") | Q(user__isnull=False),
                name="order_balance_payment_needs_user",
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
            models.CheckConstraint(
                condition=~Q(kind="bill")
                | Q(
                    bill_amount__isnull=False,
                    bill_admin_fee__isnull=False,
                    bill_service_fee__isnull=False,
                    inquiry_expires_at__isnull=False,
                ),
                name="order_bill_has_its_parts",
            ),
            # No bill paid twice: one open inquiry per bill (docs/bills.md).
            models.UniqueConstraint(
                fields=["product", "customer_no"],
                condition=Q(kind="bill", status__in=["inquired", "pending_payment"]),
                name="order_one_open_bill",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            # The poller's claim (orders_claim_due): due orders of one provider, oldest first.
            models.Index(
                fields=["provider_code", "next_poll_at"],
                condition=WAITS_ON_PROVIDER,
                name="order_poll_due",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def waits_on_provider(self) -> bool:
        """Only the provider's answer (or a person) can settle it: placed, or in review
        past its deadline with the provider not finished."""
        return self.status == OrderStatus.PROCESSING or (
            self.status == OrderStatus.NEEDS_REVIEW and self.waiting_on_provider
        )

    @property
    def is_bill(self) -> bool:
        return self.kind == OrderKind.BILL

    @property
    def buyer_email(self) -> str:
        return self.user.email if self.user_id else self.guest_email

    @property
    def failure_message(self) -> str:
        """What the buyer reads of why the order failed, in the active language; empty for
        an order that did not fail."""
        if not (self.failure_kind or self.failure_reason):
            return ""
        kind = self.failure_kind or FailureKind.SUPPLIER
        return str(FAILURE_MESSAGES.get(kind, FAILURE_MESSAGES[FailureKind.SUPPLIER]))

    @property
    def refunds_to_wallet(self) -> bool:
        """Signed-in buyers get their money back in their wallet at once; guests through staff."""
        return self.user_id is not None


class AttemptOutcome(models.TextChoices):
    PLACING = "placing", "Placing"
    PENDING = "pending", "Pending at the provider"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (final)"


class OrderAttempt(models.Model):
    """One placement of an order at one route (provider product). The first attempt's
    reference is the order's code; a failover's next attempt gets a new one
    (`<code>-<number>`), so no provider ever sees one reference for two attempts. The
    buyer only ever sees the order's code."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="route_attempts")
    number = models.PositiveSmallIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    provider_code = models.CharField(max_length=32)
    provider_sku = models.CharField(max_length=100)
    reference = models.CharField(max_length=48, unique=True)
    cost = money_field()
    outcome = models.CharField(
        max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.PLACING
    )
    provider_order_id = models.CharField(max_length=100, blank=True)
    provider_rc = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="orderattempt_number_unique"),
            # At most one attempt per order delivers.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(outcome="delivered"),
                name="orderattempt_one_delivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.provider_code})"


class OrderEventKind(models.TextChoices):
    """What an event records; code asks by kind, never by an event's (reworded) message."""

    TRANSITION = "transition", _("Transition")
    NOTE = "note", _("Note")  # moves nothing: a staff action, codes revoked
    CREATED = "created", _("Created")  # once per order
    POLLING_STOPPED = "polling_stopped", _("Polling stopped")  # once per review
    GATEWAY_REFUND_REPORTED = "gateway_refund_reported", _("Refund at the gateway reported")
    GATEWAY_REFUNDED = "gateway_refunded", _("Refunded through the gateway")


# Kinds an order has at most one of (a partial unique constraint each).
ONCE_PER_ORDER_KINDS = (OrderEventKind.CREATED, OrderEventKind.GATEWAY_REFUND_REPORTED)


class OrderEvent(models.Model):
    """Every transition of an order (and notable non-moves), with who and what caused it."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(
        max_length=32, choices=OrderEventKind.choices, default=OrderEventKind.TRANSITION
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(kind=kind),
                name=f"order_event_one_{kind}",
            )
            for kind in ONCE_PER_ORDER_KINDS
        ]

    def __str__(self) -> str:
        return f"{self.order.code}: {self.from_status or '-'} → {self.to_status}"


class Voucher(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="vouchers")
    code = models.CharField(max_length=255, blank=True)
    pin = models.CharField(max_length=255, blank=True)
    serial = models.CharField(max_length=255, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    amount = money_field(null=True, blank=True)
    provider_voucher_id = models.CharField(max_length=100, blank=True)
    # Set when the provider takes the voucher back (Hubble REVERSED): it no longer works.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Voucher #{self.pk} of {self.order.code}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
