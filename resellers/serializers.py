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


class ChoiceOutput(serializers.Serializer):
    value = serializers.CharField(help_text="What to send in `customer_data`.")
    label = serializers.CharField()


class FieldOutput(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()
    input_mode = serializers.CharField()
    pattern = serializers.CharField(help_text="HTML pattern; empty when there is none.")
    choices = ChoiceOutput(
        many=True,
        help_text="The only values the field takes (e.g. a game server); empty: any value "
        "that passes the checks.",
    )


class ProductOutput(serializers.Serializer):
    item_id = serializers.IntegerField(help_text="The shop item: what `item_id` orders.")
    id = serializers.IntegerField(
        allow_null=True,
        help_text="Deprecated: a product id that `product_id` still accepts for this item. "
        "Order by `item_id`.",
    )
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
    item_id = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        help_text="The shop item to buy (`item_id` of the price list).",
    )
    product_id = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        help_text="Deprecated: the price list's `id`; the shop item it belongs to is bought. "
        "Give `item_id` instead.",
    )
    customer_data = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False),
        help_text='The item\'s `fields`, e.g. {"user_id": "12345678"}.',
    )
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Face amount, for flexible items only.",
    )
    promo_code = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="A promo code (at most one per order). A code that does not apply is "
        "refused with `promo_code_refused` and the reason in `details.reason`: unknown, "
        "paused, not_started, expired, used_up, buyer_limit, not_for_item, not_for_tier, "
        "minimum_not_met, first_order_only, below_margin, flash_sale, sold_out, changed.",
    )

    def validate(self, attrs):
        if ("item_id" in attrs) == ("product_id" in attrs):
            raise serializers.ValidationError("Give either `item_id` or `product_id`.")
        return attrs

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
    item_id = serializers.IntegerField()
    product_id = serializers.IntegerField(
        allow_null=True, help_text="Deprecated: the `product_id` sent, if one was."
    )
    price = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="What you pay, after any promotion."
    )
    list_price = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Your tier's price before any promotion."
    )
    discount = serializers.DecimalField(max_digits=18, decimal_places=2)
    promotion = serializers.ChoiceField(
        choices=["", "code", "flash_sale"],
        help_text='"code" (your promo code applies), "flash_sale" (the item\'s flash sale '
        'applies by itself) or "" (none).',
    )
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    customer_no = serializers.CharField()


class AccountCheckInput(serializers.Serializer):
    item_id = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        help_text="A shop item of the brand to check (or give `brand`).",
    )
    product_id = serializers.IntegerField(
        min_value=1,
        max_value=2**62,
        required=False,
        help_text="Deprecated: the price list's `id` of an item of the brand.",
    )
    brand = serializers.SlugField(
        max_length=100, required=False, help_text="Brand slug (or give `item_id`)."
    )
    customer_data = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False),
        help_text='The brand\'s `fields`, e.g. {"meter_number": "12345678901"}.',
    )

    def validate_customer_data(self, value):
        if len(value) > 10:
            raise serializers.ValidationError("At most 10 fields.")
        return value

    def validate(self, attrs):
        if sum(name in attrs for name in ("item_id", "product_id", "brand")) != 1:
            raise serializers.ValidationError("Give one of `item_id`, `product_id` or `brand`.")
        return attrs


class AccountCheckOutput(serializers.Serializer):
    found = serializers.BooleanField(help_text="Always true: other answers are errors.")
    name = serializers.CharField(help_text="The account holder: a nickname, a PLN name.")
    extra = serializers.DictField(
        child=serializers.CharField(),
        help_text="More of what the provider said, e.g. PLN `meter_no`, `subscriber_id`, "
        "`segment_power` (tariff/power).",
    )
    brand = serializers.CharField(help_text="Brand slug.")


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
    account_name = serializers.CharField(
        source="order.account_name",
        help_text="The account holder the shop's account check named when the order was made "
        "(a game nickname, a PLN customer's name); empty when it was not checked.",
    )
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


class BillInquiryInput(serializers.Serializer):
    product_id = serializers.IntegerField(
        min_value=1, max_value=2**62, help_text="A bill type: a product whose type is `bill`."
    )
    customer_no = serializers.CharField(
        max_length=24, help_text="The customer number on the bill: 6-20 digits."
    )


class BillPeriodOutput(serializers.Serializer):
    period = serializers.CharField(help_text="`YYYYMM`.")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    penalty = serializers.DecimalField(max_digits=18, decimal_places=2)
    meter_start = serializers.CharField(help_text="Stand meter at the start (PLN, PDAM).")
    meter_end = serializers.CharField()


class BillOutput(serializers.Serializer):
    """A bill as its inquiry showed it, with every part of its price."""

    inquiry_ref = serializers.CharField(source="code", help_text="Pay it with this.")
    status = serializers.ChoiceField(
        choices=OrderStatus.choices,
        help_text="`inquired` until paid; another status when this bill was paid today.",
    )
    product_id = serializers.IntegerField()
    product_name = serializers.CharField()
    customer_no = serializers.CharField()
    customer_name = serializers.CharField(source="bill.customer_name")
    periods = BillPeriodOutput(many=True, source="bill.periods")
    details = serializers.DictField(
        source="bill.details", help_text="Per bill type: tariff, power, address…"
    )
    bill_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    admin_fee = serializers.DecimalField(
        max_digits=18, decimal_places=2, source="bill_admin_fee", help_text="The biller's."
    )
    service_fee = serializers.DecimalField(
        max_digits=18, decimal_places=2, source="bill_service_fee", help_text="Ours."
    )
    price = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="The total: bill + admin fee + our fee."
    )
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(
        source="inquiry_expires_at", help_text="Pay before this (the biller's cut-off)."
    )


class BillPayInput(serializers.Serializer):
    ref_id = serializers.RegexField(
        r"^[A-Za-z0-9._:\-]{1,64}$",
        help_text="Your own reference, as for orders: the payment is idempotent by it.",
    )
    inquiry_ref = serializers.CharField(max_length=40, help_text="From the inquiry.")

    validate_ref_id = OrderInput.validate_ref_id


class BillOrderOutput(OrderOutput):
    bill = BillOutput(source="order")


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
        "account_name": order.account_name,
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


class FlashSaleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    item_id = serializers.IntegerField()
    item_name = serializers.CharField(source="item.name")
    brand = serializers.CharField(source="item.brand.slug")
    product_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The products (`product_id`) that sell this item: an order of any of "
        "them gets the sale price while stock lasts.",
    )
    price = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="The sale price at your tier."
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    stock = serializers.IntegerField()
    remaining = serializers.IntegerField()
