"""Flexible (any-amount) products on the brand page: the amount field, its checks on the
server, and the order priced by the pricing rules for that amount."""

from decimal import Decimal

import pytest

from catalog.models import Product
from orders.models import Order, OrderStatus, PaymentMethod
from providers.models import SimulatedOrder
from tests.catalog.factories import ProductFactory
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import buy

pytestmark = pytest.mark.django_db

BRAND_URL = "/brands/mobile-legends/"
# 0.95 per unit: 50,000 costs 47,500; retail +5% = 49,875, reseller +2% = 48,450.
AMOUNT = Decimal("50000")
RETAIL_PRICE = Decimal("49875.00")
RESELLER_PRICE = Decimal("48450.00")


@pytest.fixture
def flexible(storefront) -> Product:
    brand, ml5, _ = storefront
    return ProductFactory(
        flexible=True, brand=brand, provider=ml5.provider, name="Diamonds, any amount"
    )


def guest_form(item, **overrides) -> dict:
    return {
        "item": item.shop_item_id,
        "user_id": "12345678",
        "zone_id": "1234",
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
        **overrides,
    }


def test_the_brand_page_offers_the_flexible_product_with_its_range(client, flexible):
    response = client.get(BRAND_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert flexible.shop_item in [item for item, _price in response.context["offers"]]
    assert "any amount, Rp 10,000 to Rp 1,000,000" in html
    assert 'data-min="10000" data-max="1000000" data-step="1"' in html
    # the field is there for the browser, hidden until a flexible item is chosen
    assert "<div data-amount-field hidden>" in html
    assert 'name="amount"' in html


def test_a_guest_buys_an_amount_priced_by_the_rules(client, flexible):
    response = buy(client, guest_form(flexible, amount="50000"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.product == flexible
    assert order.amount == AMOUNT
    assert order.price == RETAIL_PRICE
    assert order.cost == Decimal("47500.00")
    payment = SimulatedOrder.objects.get(provider="sandbox", reference=order.code)
    assert Decimal(str(payment.request["amount"])) == RETAIL_PRICE
    page = client.get(response["Location"]).content.decode()
    assert "<dd data-order-amount>Rp 50,000</dd>" in page
    assert "<dd data-order-price>Rp 49,875</dd>" in page


def test_a_reseller_pays_the_amount_from_the_wallet(client, flexible, placement_deferred):
    reseller = make_user("flexbuyer", reseller=True)
    fund(reseller, Decimal("100000"))
    client.force_login(reseller)

    response = buy(
        client,
        {
            "item": flexible.shop_item_id,
            "user_id": "12345678",
            "zone_id": "1234",
            "payment_method": PaymentMethod.BALANCE,
            "amount": "50000",
        },
    )

    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.status, order.amount, order.price) == (
        OrderStatus.PAID,
        AMOUNT,
        RESELLER_PRICE,
    )
    assert balance_of(reseller) == Decimal("100000") - RESELLER_PRICE


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("9999", "Enter an amount from Rp 10,000 to Rp 1,000,000."),
        ("1000001", "Enter an amount from Rp 10,000 to Rp 1,000,000."),
        ("", "Enter the amount you want."),
        ("50000.50", "Enter a whole amount (steps of 1)."),
        ("lots", "Enter a number."),
    ],
)
def test_an_amount_out_of_range_is_refused_and_creates_nothing(client, flexible, amount, message):
    response = buy(client, guest_form(flexible, amount=amount))

    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [message]
    assert message in response.content.decode()
    # the field stays visible with the error after the refusal
    assert "<div data-amount-field>" in response.content.decode()
    assert not Order.objects.exists()
    assert not SimulatedOrder.objects.exists()


def test_a_fixed_item_ignores_the_amount_field(client, storefront, flexible):
    _, ml5, _ = storefront

    response = buy(client, guest_form(ml5, amount="999999999"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.amount is None
    assert order.product == ml5
