"""The brand page's form sent twice (no JavaScript, a retry, a double click) makes one order:
its one-time checkout token is unique on the order."""

import json
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client

from orders.models import Order, OrderStatus, PaymentMethod
from providers.models import SimulatedOrder
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RESELLER, buy, checkout_token
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db

URL = "/buy/mobile-legends/"
EXPIRED = "This page has expired. Please reload it and try again."
SENT_ALREADY = "This form was sent already. Please reload the page and try again."


def wallet_form(item) -> dict:
    return {"item": item.shop_item_id, **GAME_ZONE_INPUT, "payment_method": PaymentMethod.BALANCE}


def guest_form(item) -> dict:
    return {
        "item": item.shop_item_id,
        **GAME_ZONE_INPUT,
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
    }


def test_a_wallet_checkout_sent_twice_makes_one_order_and_one_debit(
    client, storefront, placement_deferred
):
    _, ml5, _ = storefront
    reseller = make_user("res", reseller=True)
    fund(reseller, Decimal("10000"))
    client.force_login(reseller)
    form = {"checkout_token": checkout_token(client), **wallet_form(ml5)}

    first = client.post(URL, form)
    second = client.post(URL, form)

    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/orders/{order.code}/"
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1
    assert balance_of(reseller) == Decimal("10000") - ML5_RESELLER
    report = ledger_check()
    assert report.ok, report.problems


def test_a_guest_checkout_sent_twice_makes_one_order_and_one_gateway_payment(client, storefront):
    _, ml5, _ = storefront
    form = {"checkout_token": checkout_token(client), **guest_form(ml5)}

    first = client.post(URL, form)
    second = client.post(URL, form)

    order = Order.objects.get()
    link = f"/orders/{order.code}/?t={order.access_token}"
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == link
    payment = SimulatedOrder.objects.get(provider="sandbox")
    assert payment.reference == order.code
    assert order.gateway_reference == payment.external_id


def test_each_view_of_the_page_gives_a_new_token_for_a_new_order(client, storefront):
    _, ml5, _ = storefront

    first = buy(client, guest_form(ml5))
    second = buy(client, guest_form(ml5))

    assert first["Location"] != second["Location"]
    assert Order.objects.count() == 2
    assert SimulatedOrder.objects.filter(provider="sandbox").count() == 2


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "abc:def"],
    ids=["missing", "empty", "garbled", "badly-signed"],
)
def test_a_missing_or_garbled_token_gets_a_form_error_and_changes_nothing(
    client, storefront, token
):
    _, ml5, _ = storefront
    client.get("/brands/mobile-legends/")  # the browser has its CSRF cookie
    form = guest_form(ml5) if token is None else {"checkout_token": token, **guest_form(ml5)}

    response = client.post(URL, form)

    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert not Order.objects.exists()
    assert not SimulatedOrder.objects.exists()


def test_a_token_edited_by_one_character_is_refused(client, storefront):
    _, ml5, _ = storefront
    token = checkout_token(client)
    edited = ("A" if token[0] != "A" else "B") + token[1:]

    response = client.post(URL, {"checkout_token": edited, **guest_form(ml5)})

    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert not Order.objects.exists()


def test_another_guest_browser_sending_the_same_form_learns_nothing_of_the_order(
    client, storefront
):
    _, ml5, _ = storefront
    form = {"checkout_token": checkout_token(client), **guest_form(ml5)}
    client.post(URL, form)
    order = Order.objects.get()
    other = Client()
    other.get("/brands/mobile-legends/")  # a CSRF cookie of its own

    response = other.post(URL, form)

    html = response.content.decode()
    assert response.status_code == 400
    assert EXPIRED in html
    assert order.code not in html
    assert order.access_token not in html
    assert Order.objects.count() == 1
    assert SimulatedOrder.objects.count() == 1


def test_another_signed_in_buyer_sending_the_same_form_is_not_shown_the_order(
    client, storefront, placement_deferred
):
    """The same browser (same CSRF cookie) with another account signed in: the order is
    the first buyer's, so the second is asked to reload and charged nothing."""
    _, ml5, _ = storefront
    first_buyer = make_user("first", reseller=True)
    second_buyer = make_user("second", reseller=True)
    fund(first_buyer, Decimal("10000"))
    fund(second_buyer, Decimal("10000"))
    client.force_login(first_buyer)
    form = {"checkout_token": checkout_token(client), **wallet_form(ml5)}
    client.post(URL, form)
    order = Order.objects.get()
    client.force_login(second_buyer)

    response = client.post(URL, form)

    html = response.content.decode()
    assert response.status_code == 400
    assert SENT_ALREADY in html
    assert order.code not in html
    assert Order.objects.count() == 1
    assert balance_of(second_buyer) == Decimal("10000")
    assert balance_of(first_buyer) == Decimal("10000") - ML5_RESELLER


def test_a_refused_checkout_leaves_its_token_unused(client, storefront, placement_deferred):
    """Too little balance rolls the order back with its token: the same form, sent again
    after a top-up, makes the order."""
    _, ml5, _ = storefront
    buyer = make_user("poor")
    fund(buyer, Decimal("100"))
    client.force_login(buyer)
    form = {"checkout_token": checkout_token(client), **wallet_form(ml5)}

    refused = client.post(URL, form)
    fund(buyer, Decimal("5000"))
    accepted = client.post(URL, form)

    order = Order.objects.get()
    assert refused.status_code == 400
    assert accepted["Location"] == f"/orders/{order.code}/"
    signed_payload = form["checkout_token"].split(":")[0]
    assert order.checkout_token == json.loads(signing.b64_decode(signed_payload.encode()))["t"]
    assert balance_of(buyer) == Decimal("5100") - order.price


def test_orders_made_elsewhere_have_no_checkout_token(balance_order, guest_order):
    assert balance_order.checkout_token is None
    assert guest_order.checkout_token is None


def test_a_sent_form_changed_and_sent_again_is_refused_not_answered_with_the_first_order(
    client, storefront, placement_deferred
):
    """The browser's back button can bring back the page with its used token; a buyer who
    changes the account and buys again must not be sent to the first order as if it were
    the second."""
    _, ml5, _ = storefront
    reseller = make_user("res", reseller=True)
    fund(reseller, Decimal("10000"))
    client.force_login(reseller)
    form = {"checkout_token": checkout_token(client), **wallet_form(ml5)}
    client.post(URL, form)

    response = client.post(URL, {**form, "user_id": "87654321"})

    assert response.status_code == 400
    assert SENT_ALREADY in response.content.decode()
    assert Order.objects.get().customer_no.startswith("12345678")
    assert balance_of(reseller) == Decimal("10000") - ML5_RESELLER
