"""Checkout: create an order and pay it, from the wallet or through the payment gateway.

The gateway is the sandbox where simulators are on (it takes no real money) and Tripay
otherwise. Its payment instructions (checkout link, pay code, QR) are stored on the order so
the order page shows them again after a refresh.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from catalog.input_schemas import validate_customer_input
from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.selectors import order_return_url
from orders.services.creation import CheckoutTokenTaken, order_create, order_create_paid_from_wallet
from orders.services.notifications import order_notify_needs_payment
from orders.services.transitions import order_lock, order_transition
from providers.base import (
    GatewayAdapter,
    PaymentInstructions,
    PaymentItem,
    PaymentRequest,
    ProviderError,
)
from providers.gateway_links import payment_links_checked
from providers.registry import get_gateway
from shop.errors import ApplicationError
from wallets.models import Deposit, DepositMethod
from wallets.services import deposit_create, deposit_gateway_reference, deposit_reject


def checkout_gateway_code() -> str:
    """The gateway buyers pay through: `PAYMENT_GATEWAY`, else the sandbox with simulators
    on and Tripay otherwise."""
    if settings.PAYMENT_GATEWAY:
        return settings.PAYMENT_GATEWAY
    return "sandbox" if settings.SIMULATORS_ENABLED else "tripay"


def checkout_gateway() -> GatewayAdapter:
    """The configured gateway; ApplicationError `gateway_unavailable` when it is not."""
    try:
        return get_gateway(checkout_gateway_code())
    except ProviderError:
        raise ApplicationError(
            gettext_noop("Online payment is not available right now."), code="gateway_unavailable"
        ) from None


def checkout_callback_url() -> str:
    """Where the gateway posts the payment status: with simulators on, the sandbox or the
    Tripay simulator calls `SIMULATOR_CALLBACK_BASE_URL` (it may see the shop at another
    address); otherwise `SITE_URL`."""
    base = (
        settings.SIMULATOR_CALLBACK_BASE_URL if settings.SIMULATORS_ENABLED else settings.SITE_URL
    )
    return base.rstrip("/") + reverse("webhook-tripay")


@dataclass(frozen=True)
class PaymentChannelChoice:
    code: str
    name: str


def checkout_payment_channels() -> list[PaymentChannelChoice]:
    """The active channels of the gateway (Tripay's list is cached by its adapter); empty
    when the gateway is unavailable, so the page offers only the wallet."""
    try:
        channels = checkout_gateway().payment_channels()
    except (ApplicationError, ProviderError):
        return []
    return [PaymentChannelChoice(c.code, c.name) for c in channels if c.active]


def _instructions_json(instructions: PaymentInstructions) -> dict:
    return {
        "reference": instructions.reference,
        "checkout_url": instructions.checkout_url,
        "pay_code": instructions.pay_code,
        "qr_url": instructions.qr_url,
        "qr_string": instructions.qr_string,
        "instructions": instructions.instructions,
        "status": str(instructions.status),
        "expires_at": instructions.expires_at.isoformat() if instructions.expires_at else None,
    }


def _buyer_name(order: Order) -> str:
    if order.user_id:
        return order.user.get_full_name() or order.user.get_username()
    return order.guest_email.split("@", 1)[0] or "Guest"


def _buyer_email(order: Order) -> str:
    """The gateway requires an e-mail (Tripay's `customer_email`): a guest who gave only a
    WhatsApp number is sent as the shop's own sender address, so the gateway's receipt
    reaches the shop rather than nobody."""
    return order.buyer_email or settings.DEFAULT_FROM_EMAIL


def _buyer_phone(order: Order) -> str:
    """A guest's WhatsApp number as Tripay's `customer_phone` (local "08…"), else ""."""
    return "0" + order.guest_phone.removeprefix("+62") if order.guest_phone else ""


def checkout_create(*, purchase: Purchase) -> Order:
    """Create an order and pay it.

    Wallet (`purchase.payment_method="balance"`, signed-in buyers only): the order is
    created and paid in one transaction, so too little balance (ApplicationError
    `insufficient_balance`) leaves no order and no debit; the paid order is placed after
    commit. Gateway: the order is created (`pending_payment`), then the gateway payment is
    created once with `merchant_ref` = the order code and its instructions are stored on
    the order. If the gateway refuses, cannot be reached, or sends a link that is not safe
    to show (`providers.gateway_links`: https only) the order is `cancelled` and
    ApplicationError `gateway_unavailable` is raised. Invalid input raises the
    ApplicationError of `order_create` (`invalid_input` with `extra["fields"]`) and
    changes nothing; so does a price that is no longer `purchase.shown_price`, the one the
    buyer saw (`price_changed`).

    `purchase.checkout_token` (the storefront form's one-time token) makes it happen once:
    when an order holds the token already, nothing is created, debited or sent to the
    gateway, and that first order is returned if it is this buyer's (else ApplicationError
    `checkout_token_used`). The token is stored on the new order, the first row its
    transaction writes, so a concurrent duplicate waits on the unique index until that
    transaction ends, then rolls its own back whole.
    """
    first_order = partial(_first_order, purchase=purchase)  # the form was sent before
    checkout_token = purchase.checkout_token
    if checkout_token and Order.objects.filter(checkout_token=checkout_token).exists():
        return first_order()  # before any check: a price changed since must not hide it
    if purchase.payment_method == PaymentMethod.BALANCE:
        try:
            with transaction.atomic():  # a refusal rolls back this much, no more
                return order_create_paid_from_wallet(purchase=purchase)
        except CheckoutTokenTaken:
            return first_order()
    if purchase.payment_method != PaymentMethod.GATEWAY:
        raise ApplicationError(gettext_noop("Choose how to pay."), code="invalid_payment_method")
    gateway = checkout_gateway()
    try:
        order = order_create(purchase=purchase)
    except CheckoutTokenTaken:
        return first_order()
    return order_start_gateway_payment(order=order, channel=purchase.channel, gateway=gateway)


def order_start_gateway_payment(
    *, order: Order, channel: str, gateway: GatewayAdapter | None = None
) -> Order:
    """Create the gateway payment of a `pending_payment` order once (`merchant_ref` = the
    order code, expiring with the order) and store its instructions on the order. If the
    gateway refuses, cannot be reached, or sends a link that is not safe to show, the
    order is `cancelled` and ApplicationError `gateway_unavailable` is raised."""
    gateway = gateway or checkout_gateway()
    method = channel or next((c.code for c in gateway.payment_channels() if c.active), "")
    request = PaymentRequest(
        merchant_ref=order.code,
        amount=order.price,
        method=method,
        customer_name=_buyer_name(order),
        customer_email=_buyer_email(order),
        customer_phone=_buyer_phone(order),
        items=[PaymentItem(sku=order.provider_sku, name=order.product_name, price=order.price)],
        return_url=order_return_url(order),
        callback_url=checkout_callback_url(),
        expires_at=order.payment_expires_at,
    )
    try:
        instructions = payment_links_checked(gateway.create_payment(request), gateway=gateway)
    except ProviderError as exc:
        order_transition(
            order=order,
            to=OrderStatus.CANCELLED,
            message=f"The gateway payment was not started: {exc.message}",
            data={"gateway": gateway.code, "code": exc.code},
        )
        raise ApplicationError(
            gettext_noop(
                "The payment could not be started; nothing was charged. Please try again."
            ),
            code="gateway_unavailable",
        ) from None
    order = order_attach_payment(
        order=order, instructions=instructions, channel=method, gateway=gateway.code
    )
    order_notify_needs_payment(order)
    return order


def _first_order(*, purchase: Purchase) -> Order:
    """The order a checkout token made, for the buyer who sends the same form again. A form
    sent again with another item or account (a page brought back by the browser's back
    button, then changed) is refused rather than answered with an order it did not ask for."""
    order = Order.objects.get(checkout_token=purchase.checkout_token)
    user = purchase.user
    if order.user_id != (user.pk if user is not None else None) or not _same_purchase(
        order, purchase=purchase
    ):
        raise ApplicationError(
            gettext_noop("This form was sent already. Please reload the page and try again."),
            code="checkout_token_used",
        )
    return order


def _same_purchase(order: Order, *, purchase: Purchase) -> bool:
    item = purchase.shop_item()
    if item is None or order.shop_item_id != item.pk or order.amount != purchase.amount:
        return False
    try:
        customer = validate_customer_input(
            schema=item.brand.input_schema, data=purchase.customer_data
        )
    except ApplicationError:
        return False
    return customer.customer_no == order.customer_no


@transaction.atomic
def order_attach_payment(
    *, order: Order, instructions: PaymentInstructions, channel: str, gateway: str = ""
) -> Order:
    """Store the gateway (its code), its reference, channel and instructions on the order
    (row locked); the order's status is not touched."""
    order = order_lock(order)
    order.gateway_reference = instructions.reference
    order.payment_gateway = gateway or order.payment_gateway
    order.payment_channel = channel[:32]
    order.payment_instructions = _instructions_json(instructions)
    order.save(
        update_fields=[
            "gateway_reference",
            "payment_gateway",
            "payment_channel",
            "payment_instructions",
            "updated_at",
        ]
    )
    return order


def deposit_checkout_create(*, user, amount: Decimal, channel: str = "") -> PaymentInstructions:
    """Start a wallet top-up through the gateway: a pending Deposit, then one gateway
    payment with `merchant_ref` = `deposit_gateway_reference(deposit)`. The Tripay callback
    credits it exactly once when paid. A gateway refusal, or a link that is not safe to
    follow, rejects the deposit (nothing was credited) and raises ApplicationError
    `gateway_unavailable`; a non-positive amount raises ApplicationError and creates
    nothing."""
    gateway = checkout_gateway()
    deposit = deposit_create(user=user, amount=amount, method=DepositMethod.GATEWAY)
    method = channel or next((c.code for c in gateway.payment_channels() if c.active), "")
    request = PaymentRequest(
        merchant_ref=deposit_gateway_reference(deposit),
        amount=deposit.amount,
        method=method,
        customer_name=user.get_full_name() or user.get_username(),
        customer_email=user.email,
        items=[PaymentItem(sku="DEPOSIT", name="Wallet top-up", price=deposit.amount)],
        return_url=settings.SITE_URL.rstrip("/") + reverse("accounts:wallet"),
        callback_url=checkout_callback_url(),
    )
    try:
        instructions = payment_links_checked(gateway.create_payment(request), gateway=gateway)
    except ProviderError as exc:
        deposit_reject(deposit=deposit, note=f"The gateway payment was not started: {exc}")
        raise ApplicationError(
            gettext_noop(
                "The payment could not be started; nothing was charged. Please try again."
            ),
            code="gateway_unavailable",
        ) from None
    Deposit.objects.filter(pk=deposit.pk).update(
        gateway_reference=instructions.reference, payment_gateway=gateway.code
    )
    return instructions
