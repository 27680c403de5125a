"""Creating orders: checked, priced at the buyer's tier, routed, stored under a fresh code."""

import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from catalog.amounts import validate_flexible_amount
from catalog.input_schemas import validate_customer_input
from catalog.models import Product, ShopItem
from catalog.services.items import catalog_item_price_for
from orders.account_checks import order_account_name
from orders.models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from orders.promotions import order_promotion_claim, order_promotion_quote
from orders.purchase import Purchase
from orders.routing import item_with_routes, route_choose
from orders.services.transitions import order_enqueue_placement
from shop.errors import ApplicationError
from shop.models import PriceTier
from shop.phones import InvalidPhone, indonesian_mobile_e164
from shop.precompiled import PrecompiledInsert
from wallets.services import (
    wallet_debit_for_order,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def _new_order_code() -> str:
    suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"TRX-{timezone.localdate():%Y%m%d}-{suffix}"


class CheckoutTokenTaken(Exception):
    """An order with this checkout token exists: roll the new order's transaction back."""


def order_create(*, purchase: Purchase) -> Order:
    """Create a `pending_payment` order for `purchase` at the buyer's tier price, fixed
    from now on.

    The shop item (`purchase.shop_item()`) is priced (`catalog_item_price_for`) and routed
    (`orders.routing.route_choose`, at most the price unless the item allows below cost);
    the order records the item, the route's product, provider, SKU and cost.
    Refuses (ApplicationError) an item not for sale or with no route that may take it now
    (`not_for_sale`, which never says why: the reason may name a provider or our cost),
    input that fails the brand's schema
    (code `invalid_input`, `extra["fields"]` per field), an account the account check
    refuses (`orders.account_checks`: `account_not_found`, `account_unconfirmed`; a found
    account's name is stored as `account_name`), a balance payment without a
    signed-in buyer, and a guest without an e-mail. A `purchase.checkout_token` another order holds
    raises CheckoutTokenTaken (a concurrent holder is waited for on the unique index).
    """
    order, priced = _order_draft(purchase=purchase, payment_method=purchase.payment_method)
    created = OrderEvent(
        kind=OrderEventKind.CREATED,
        to_status=order.status,
        message="Order created",
        actor=purchase.user,
    )
    with transaction.atomic():  # its promotion is held while it awaits payment
        order = _order_insert(order, events=[created])
        order_promotion_claim(order=order, purchase=purchase, **priced)
    return order


@transaction.atomic(savepoint=False)
def order_create_paid_from_wallet(
    *, purchase: Purchase, before_debit: Callable[[Order], None] | None = None
) -> Order:
    """`order_create` and `order_pay_with_balance` in one: the order is stored `paid`, with
    the same two events ("Order created", then "Paid from wallet"), and the buyer's wallet
    is debited last, so its row stays locked only from the debit to the commit (the caller
    writes what else it needs in `before_debit`). Refusals are those of both; any of them
    rolls the caller's whole transaction back. The order is paid from the wallet whatever
    `purchase.payment_method` says."""
    user = purchase.user
    order, priced = _order_draft(purchase=purchase, payment_method=PaymentMethod.BALANCE)
    order.status = OrderStatus.PAID
    order.created_at = order.paid_at = timezone.now()
    events = [
        OrderEvent(
            kind=OrderEventKind.CREATED,
            to_status=OrderStatus.PENDING_PAYMENT,
            message="Order created",
            actor=user,
        ),
        OrderEvent(
            from_status=OrderStatus.PENDING_PAYMENT,
            to_status=OrderStatus.PAID,
            message="Paid from wallet",
        ),
    ]
    order = _order_insert(order, events=events)
    order_enqueue_placement(order)
    if before_debit is not None:
        before_debit(order)
    discount = priced["promotion"].discount
    wallet_debit_for_order(order=order, actor=user, new_order=True, discount=discount)
    # After the debit: wallets are locked before a promotion's row on every path.
    order_promotion_claim(order=order, purchase=purchase, **priced)
    return order


def order_amount_checked(*, product: Product | ShopItem, amount: Decimal | None) -> Decimal | None:
    """`catalog.amounts.validate_flexible_amount` as a refusal of the order services: the
    same rule and words for the storefront and the reseller API (`invalid_input`, the
    message under `extra["fields"]["amount"]`)."""
    try:
        return validate_flexible_amount(product=product, amount=amount)
    except ValidationError as exc:
        raise ApplicationError(
            gettext_noop("Please correct the amount."),
            code="invalid_input",
            extra={"fields": {"amount": exc.messages}},
        ) from None


def _guest_phone_checked(phone: str) -> str:
    """A guest's WhatsApp number in E.164 (+62…), "" for none; `invalid_input` naming the
    `buyer_whatsapp` field when it is not an Indonesian mobile number."""
    if not phone:
        return ""
    try:
        return indonesian_mobile_e164(phone)
    except InvalidPhone as exc:
        raise ApplicationError(
            gettext_noop("Please correct your WhatsApp number."),
            code="invalid_input",
            extra={"fields": {"buyer_whatsapp": [exc.message]}},
        ) from None


def _order_draft(*, purchase: Purchase, payment_method: str) -> tuple[Order, dict]:
    """The new order, checked and priced, not saved yet (see `order_create`), and what its
    promotion claim needs (`order_promotion_claim`'s arguments but the order). With
    `purchase.shown_price` (what the buyer's page showed as the list price), any other
    list price is refused (`price_changed`): nobody is charged a price they did not see.
    A promotion (`purchase.promo_code`, or the item's flash sale) only lowers it; a code
    that does not apply is refused (`promo_code_refused`)."""
    item, user, shown_price = purchase.shop_item(), purchase.user, purchase.shown_price
    if payment_method == PaymentMethod.BALANCE and user is None:
        raise ApplicationError(
            gettext_noop("Log in to pay from your wallet."), code="login_required"
        )
    if user is None and not (purchase.guest_email or purchase.guest_phone):
        raise ApplicationError(
            gettext_noop("Guests must give a WhatsApp number or an e-mail address."),
            code="contact_required",
        )
    guest_phone = _guest_phone_checked(purchase.guest_phone) if user is None else ""
    if item is None:  # a provider product no shop item sells (not mapped yet)
        raise ApplicationError(
            gettext_noop("This item is not for sale right now."), code="not_for_sale"
        )
    item = item_with_routes(item)
    amount = order_amount_checked(product=item, amount=purchase.amount)
    tier = user.price_tier if user is not None else PriceTier.RETAIL
    quote = catalog_item_price_for(item=item, tier=tier, amount=amount)
    # The route: the best one now whose cost the price covers (unless the item allows less).
    route = route_choose(item, amount=amount, max_cost=quote.price) if quote.for_sale else None
    if route is None:
        # Not the reason: it may name our cost, margin or provider.
        raise ApplicationError(
            gettext_noop("This item is not for sale right now."), code="not_for_sale"
        )
    if shown_price is not None and quote.price != shown_price:
        raise ApplicationError(
            gettext_noop(
                "The price has changed since this page was shown. Please check the new price "
                "and order again."
            ),
            code="price_changed",
            extra={"shown": str(shown_price), "price": str(quote.price)},
        )
    product = route.product
    promotion = order_promotion_quote(purchase=purchase, item=item, tier=tier, quote=quote)
    try:
        customer = validate_customer_input(
            schema=item.brand.input_schema, data=purchase.customer_data
        )
    except ValidationError as exc:
        raise ApplicationError(
            gettext_noop("Please correct the account details."),
            code="invalid_input",
            extra={"fields": exc.message_dict},
        ) from None
    account_name = order_account_name(brand=item.brand, fields=customer.fields)
    priced = {"promotion": promotion, "tier": tier, "quote": quote}
    return Order(
        user=user,
        guest_email=purchase.guest_email,
        guest_phone=guest_phone,
        access_token=secrets.token_urlsafe(32),
        checkout_token=purchase.checkout_token,
        shop_item=item,
        product=product,
        product_name=item.name,
        provider_code=product.provider.code,
        provider_sku=product.provider_sku,
        price_tier=tier,
        customer_data=customer.fields,
        customer_no=customer.customer_no,
        account_name=account_name,
        amount=amount,
        price=promotion.price,
        cost=route.cost,
        currency=settings.SHOP_CURRENCY,
        payment_method=payment_method,
        payment_expires_at=timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES),
        language=translation.get_language() or "",
    ), priced


# Written once (shop.precompiled): no INSERT is compiled per order. Nothing listens to
# these models' save signals.
_ORDER_INSERT = PrecompiledInsert(Order)
_EVENT_INSERT = PrecompiledInsert(OrderEvent)


def _order_insert(order: Order, *, events: list[OrderEvent]) -> Order:
    """Save a new order under a fresh code, then its `events` (one INSERT for all)."""
    for _ in range(5):  # a code collision is rare; try a new one
        order.code = _new_order_code()
        try:
            with transaction.atomic():
                _ORDER_INSERT.insert([order])
                for event in events:
                    event.order = order
                _EVENT_INSERT.insert(events)
            return order
        except IntegrityError:
            order.pk = None
            if order.checkout_token and (
                Order.objects.filter(checkout_token=order.checkout_token).exists()
            ):
                raise CheckoutTokenTaken from None
            continue
    raise ApplicationError(
        gettext_noop("Could not allocate an order code; try again."), code="busy"
    )
