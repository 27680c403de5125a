from decimal import Decimal

import pytest
from django.test import Client

from orders.models import Order, OrderStatus, PaymentMethod
from providers.models import SimulatedOrder
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import ML5_RESELLER, ML5_RETAIL, buy

pytestmark = pytest.mark.django_db

URL = "/buy/mobile-legends/"


def guest_form(product, **overrides) -> dict:
    return {
        "item": product.shop_item_id,
        "user_id": "12345678",
        "zone_id": "1234",
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
        **overrides,
    }


def test_a_guest_checkout_creates_the_order_and_its_sandbox_payment(client, storefront):
    _, ml5, _ = storefront

    response = buy(client, guest_form(ml5))

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.code}/?t={order.access_token}"
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.price == ML5_RETAIL
    assert order.guest_email == "guest@example.com"
    assert order.customer_no == "12345678-1234"
    payment = SimulatedOrder.objects.get(provider="sandbox", reference=order.code)
    assert order.gateway_reference == payment.external_id
    assert order.payment_channel == "SANDBOX"
    assert order.payment_instructions["checkout_url"].endswith(
        f"/sim/sandbox/pay/{payment.external_id}"
    )
    assert payment.callback_url.endswith("/api/webhooks/tripay")
    # the gateway never holds the guest's link token; this browser comes back to the order
    assert payment.request["return_url"].endswith(f"/orders/{order.code}/return/")
    assert order.access_token not in payment.request["return_url"]
    back = client.get(f"/orders/{order.code}/return/")
    assert back.status_code == 302
    assert back["Location"] == response["Location"]


def test_a_guest_may_give_only_a_whatsapp_number(client, storefront, settings):
    _, ml5, _ = storefront

    response = buy(client, guest_form(ml5, buyer_email="", buyer_whatsapp="+62 812-3456-7844"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.guest_phone, order.guest_email) == ("+6281234567844", "")
    payment = SimulatedOrder.objects.get(provider="sandbox", reference=order.code)
    # the gateway wants an e-mail and a name: the shop's own address, never a made-up one
    assert payment.request["customer_email"] == settings.DEFAULT_FROM_EMAIL
    assert payment.request["customer_phone"] == "081234567844"
    assert payment.request["customer_name"] == "Guest"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"user_id": "12ab"}, "user_id", "User ID must contain digits only."),
        ({"zone_id": ""}, "zone_id", "This field is required."),
        (
            {"buyer_email": ""},
            "buyer_whatsapp",
            "Enter a WhatsApp number or an e-mail address (either is enough).",
        ),
        (
            {"buyer_email": "", "buyer_whatsapp": "0212345678"},
            "buyer_whatsapp",
            "Enter an Indonesian mobile number starting with 08, +628 or 628.",
        ),
        ({"buyer_email": "not-an-email"}, "buyer_email", "Enter a valid email address."),
        ({"payment_method": "balance"}, "payment_method", "Select a valid choice."),
        ({"item": "999999"}, "item", "Select a valid choice."),
    ],
)
def test_bad_input_gets_form_errors_and_changes_nothing(
    client, storefront, overrides, field, message
):
    _, ml5, _ = storefront

    response = buy(client, guest_form(ml5, **overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Order.objects.exists()
    assert not SimulatedOrder.objects.exists()


def test_the_server_checks_the_schema_again(client, storefront):
    """A zone id that passes the form's length but not the schema (too long) is refused by
    validate_customer_input, shown next to its field."""
    _, ml5, _ = storefront

    response = buy(client, guest_form(ml5, zone_id="123456789"))

    assert response.status_code == 400
    assert response.context["form"].errors["zone_id"] == ["Zone ID must be 1 to 8 digits long."]
    assert not Order.objects.exists()


def test_an_unavailable_item_cannot_be_bought(client, storefront):
    _, _, ml86 = storefront

    response = buy(client, guest_form(ml86))

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_checkout_needs_the_csrf_token(storefront):
    _, ml5, _ = storefront

    response = Client(enforce_csrf_checks=True).post(URL, guest_form(ml5))

    assert response.status_code == 403
    assert not Order.objects.exists()


def test_a_reseller_pays_from_the_wallet_at_the_reseller_price(
    client, storefront, placement_deferred
):
    _, ml5, _ = storefront
    reseller = make_user("res", reseller=True)
    fund(reseller, Decimal("10000"))
    client.force_login(reseller)

    response = buy(client, guest_form(ml5, payment_method="balance", buyer_email=""))

    order = Order.objects.get()
    assert response["Location"] == f"/orders/{order.code}/"
    assert order.status == OrderStatus.PAID
    assert order.price == ML5_RESELLER
    assert balance_of(reseller) == Decimal("10000") - ML5_RESELLER


def test_too_little_balance_leaves_no_order_and_no_debit(client, storefront):
    _, ml5, _ = storefront
    buyer = make_user("poor")
    fund(buyer, Decimal("100"))
    client.force_login(buyer)

    response = buy(client, guest_form(ml5, payment_method="balance"))

    assert response.status_code == 400
    assert not Order.objects.exists()
    assert balance_of(buyer) == Decimal("100")
    assert "balance" in response.content.decode().lower()


def test_with_the_gateway_down_guests_are_told_and_nothing_is_created(client, storefront, settings):
    _, ml5, _ = storefront
    settings.SIMULATORS_ENABLED = False  # Tripay, at an address where nothing answers
    settings.TRIPAY_BASE_URL = "http://127.0.0.1:9/api"

    response = buy(client, guest_form(ml5, channel="QRIS"))

    assert response.status_code == 400
    assert not Order.objects.exists()
