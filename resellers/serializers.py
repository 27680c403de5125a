"""Input and output shapes of the reseller API (also what the OpenAPI schema shows)."""

from rest_framework import serializers

from orders.models import OrderStatus
from resellers.models import ApiOrder


class ErrorOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable name of the error.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    details = serializers.DictField(
        required=False, help_text="Structured details: the balance, the fields at fault."
    )


class FieldOutput(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()
    input_mode = serializers.CharField()
    pattern = serializers.CharField(help_text="HTML pattern; empty when there is none.")


class ProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    brand = serializers.CharField(help_text="Brand slug.")
    brand_name = serializers.CharField()
    category = serializers.CharField(allow_null=True, help_text="Category slug.")
    denomination_type = serializers.CharField(help_text="`fixed`, or `flexible` (any amount).")
    price = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        allow_null=True,
        help_text="At your tier; null if unavailable or flexible.",
    )
    min_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    max_amount = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    available = serializers.BooleanField()
    unavailable_reason = serializers.CharField(allow_blank=True)
    fields = FieldOutput(many=True, help_text="What `customer_data` must contain.")


class BalanceOutput(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()


class OrderInput(serializers.Serializer):
    ref_id = serializers.RegexField(
        r"^[A-Za-z0-9._:\-]{1,64}$",
        help_text=(
            "Your own reference: 1-64 of A-Z a-z 0-9 . _ : - (not `.` or `..`); "
            "unique per reseller."
        ),
    )
    product_id = serializers.IntegerField(min_value=1, max_value=2**62)
    customer_data = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False),
        help_text='The product\'s `fields`, e.g. {"user_id": "12345678"}.',
    )
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Face amount, for flexible products only.",
    )

    def validate_ref_id(self, value):
        # Every ref_id must be readable at /api/v1/orders/{ref_id}; HTTP clients turn the
        # path segments "." and ".." into a move up. ("validate" is fine: GET on
        # /orders/validate is that order, POST validates.)
        if value in {".", ".."}:
            raise serializers.ValidationError('A ref_id cannot be "." or "..".')
        return value

    def validate_customer_data(self, value):
        if len(value) > 10:
            raise serializers.ValidationError("At most 10 fields.")
        return value


class ValidateInput(OrderInput):
    ref_id = serializers.RegexField(r"^[A-Za-z0-9._:\-]{1,64}$", required=False)


class ValidateOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    product_id = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=18, decimal_places=2)
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    customer_no = serializers.CharField()


class VoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    pin = serializers.CharField()
    serial = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    revoked = serializers.BooleanField(
        source="is_revoked",
        help_text="The provider took this voucher back (e.g. Hubble REVERSED): it no longer "
        "works. The order is then `needs_review`; staff decide about a refund.",
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField(help_text="Why it was revoked; empty while valid.")


class OrderOutput(serializers.Serializer):
    ref_id = serializers.CharField()
    code = serializers.CharField(source="order.code", help_text="The shop's order code.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, source="order.status")
    product_id = serializers.IntegerField(source="order.product_id")
    product_name = serializers.CharField(source="order.product_name")
    customer_data = serializers.DictField(source="order.customer_data")
    customer_no = serializers.CharField(source="order.customer_no")
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, source="order.amount", allow_null=True
    )
    price = serializers.DecimalField(max_digits=18, decimal_places=2, source="order.price")
    currency = serializers.CharField(source="order.currency")
    message = serializers.SerializerMethodField()
    vouchers = VoucherOutput(many=True, source="order.vouchers.all")
    created_at = serializers.DateTimeField(source="order.created_at")
    updated_at = serializers.DateTimeField(source="order.updated_at")
    completed_at = serializers.DateTimeField(source="order.completed_at", allow_null=True)

    def get_message(self, api_order: ApiOrder) -> str:
        """The refund note or the shop's failure message (never the provider's own words,
        which are for staff); empty while all goes well."""
        order = api_order.order
        return order.refund_note or order.failure_message or ""


_MONEY = serializers.DecimalField(max_digits=18, decimal_places=2)
_MOMENT = serializers.DateTimeField()


def order_reply(api_order: ApiOrder) -> dict:
    """`OrderOutput(api_order).data`, written out: the same dict (a test compares them)
    without building the serializer's fields for every reply. Reads no row the caller has
    not loaded: the order (and its vouchers, when prefetched)."""
    order = api_order.order
    vouchers = list(order.vouchers.all())
    return {
        "ref_id": api_order.ref_id,
        "code": order.code,
        "status": order.status,
        "product_id": order.product_id,
        "product_name": order.product_name,
        "customer_data": dict(order.customer_data),
        "customer_no": order.customer_no,
        "amount": None if order.amount is None else _MONEY.to_representation(order.amount),
        "price": _MONEY.to_representation(order.price),
        "currency": order.currency,
        "message": order.refund_note or order.failure_message or "",
        "vouchers": VoucherOutput(vouchers, many=True).data if vouchers else [],
        "created_at": _MOMENT.to_representation(order.created_at),
        "updated_at": _MOMENT.to_representation(order.updated_at),
        "completed_at": (
            None if order.completed_at is None else _MOMENT.to_representation(order.completed_at)
        ),
    }
