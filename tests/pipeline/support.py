"""Helpers for the pipeline tests: products that exist at the simulators, buying them, the
clock, and counting what reached a provider."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import InputSchema, Product
from catalog.services import catalog_price_for
from orders import tasks
from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_mark_paid, order_pay_with_balance
from providers.defaults import provider_ensure
from providers.models import ProviderCall, SimulatedOrder
from shop.models import Notification, PriceTier
from tests.catalog.factories import BrandFactory, ProductFactory
from wallets.models import Transfer

DIGIFLAZZ, HUBBLE, FOXRELOAD = "digiflazz", "hubble", "foxreload"
VIPRESELLER = "vipreseller"
UPSTREAMS = (DIGIFLAZZ, HUBBLE, FOXRELOAD, VIPRESELLER)
# Digiflazz's documented test SKU and numbers (with `testing` or SKU xld10).
XLD10 = "xld10"
DIGIFLAZZ_TEST_PENDING_SUCCESS = "087800001233"
DIGIFLAZZ_TEST_PENDING_FAILURE = "087800001234"


@dataclass(frozen=True)
class SimProduct:
    sku: str
    cost: Decimal  # in the provider's currency, as the simulator charges it
    schema: str


# One sellable product per simulator, at the simulator's own price.
SIM_PRODUCTS = {
    DIGIFLAZZ: SimProduct("DANA10", Decimal("10120"), InputSchema.PHONE),
    HUBBLE: SimProduct("amazon-pay:500", Decimal("500"), InputSchema.EMAIL),  # gross debit
    FOXRELOAD: SimProduct("product_01krgfgww8eth9xvvysd6y7r4j", Decimal("0.99"), InputSchema.GAME),
    VIPRESELLER: SimProduct("MLA86-S1", Decimal("19943"), InputSchema.GAME_WITH_ZONE),
}
# The endpoint (ProviderCall.endpoint) of each provider's status check.
STATUS_ENDPOINTS = {
    DIGIFLAZZ: {"transaction"},  # the status check re-posts the same ref_id
    HUBBLE: {"orders/get", "orders/by-reference"},
    FOXRELOAD: {"orders.get"},
    VIPRESELLER: {"status"},
}
PLACE_ENDPOINTS = {
    DIGIFLAZZ: {"transaction"},
    HUBBLE: {"orders/create"},
    FOXRELOAD: {"orders.create"},
    VIPRESELLER: {"order"},
}


def make_product(code: str, *, sku: str = "") -> Product:
    spec = SIM_PRODUCTS[code]
    return ProductFactory(
        provider=provider_ensure(code),
        provider_sku=sku or spec.sku,
        cost=spec.cost,
        brand=BrandFactory(input_schema=spec.schema),
    )


def customer_data(code: str, suffix: str = "00") -> dict:
    """Account details whose last two digits pick the simulator's scenario."""
    if code == DIGIFLAZZ:
        return {"phone": f"0812000000{suffix}"}
    if code == HUBBLE:
        return {"email": f"buyer{suffix}@example.com"}
    if code == VIPRESELLER:  # Mobile Legends: the zone's last two digits decide
        return {"user_id": "12345678", "zone_id": f"20{suffix}"}
    return {"user_id": f"123456{suffix}"}


def buy(
    product: Product,
    *,
    suffix: str = "00",
    data: dict | None = None,
    user=None,
    guest_email: str = "",
) -> Order:
    """Create and pay an order (wallet for a user, the gateway for a guest). In a
    transactional test the placement runs when the payment commits (eager Celery)."""
    order = order_create(
        purchase=Purchase(
            product=product,
            user=user,
            guest_email=guest_email,
            customer_data=data or customer_data(product.provider.code, suffix),
            payment_method=PaymentMethod.BALANCE if user else PaymentMethod.GATEWAY,
        )
    )
    if user is not None:
        order_pay_with_balance(order=order)
    else:
        order_mark_paid(order=order, amount=order.price, gateway_reference="GW-1")
    return fresh(order)


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def poll_cycle() -> None:
    """One beat of `orders_poll_due` (eager: each claimed poll runs right here)."""
    tasks.orders_poll_due.delay()


def move_to(clock, when: datetime) -> None:
    """Move the travelling clock to `when` plus a second, never backwards."""
    target = when + timedelta(seconds=1)
    now = timezone.now()
    if target > now:
        clock.shift(target - now)


def sim_orders(order: Order):
    """The simulator's rows for this order (FoxReload and VIP Reseller key them by their
    own order id)."""
    if order.provider_code in (FOXRELOAD, VIPRESELLER):
        return SimulatedOrder.objects.filter(
            provider=order.provider_code, external_id=order.provider_order_id
        )
    return SimulatedOrder.objects.filter(provider=order.provider_code, reference=order.code)


def calls(order: Order, endpoints=None):
    qs = ProviderCall.objects.filter(provider=order.provider_code, reference=order.code)
    if endpoints is not None:
        qs = qs.filter(endpoint__in=endpoints)
    return qs.order_by("pk")


def status_checks(order: Order) -> int:
    """Status calls the simulator answered for this order (re-posts, GETs)."""
    return sum(sim_orders(order).values_list("status_checks", flat=True))


def refunds(order: Order) -> int:
    return Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").count()


def staff_notifications(**filters):
    return Notification.objects.filter(user__isnull=True, **filters)


def for_sale(product: Product) -> bool:
    product = Product.objects.select_related("provider").get(pk=product.pk)
    return catalog_price_for(product=product, tier=PriceTier.RETAIL).for_sale


TERMINAL = {
    OrderStatus.SUCCESS,
    OrderStatus.REFUNDED,
    OrderStatus.FAILED,
    OrderStatus.NEEDS_REVIEW,
}
