"""The same checkout form sent 5 times at once on PostgreSQL (a double click racing, a retry):
one order, one debit or one gateway payment, and every reply leads to that order."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from orders.models import Order, OrderStatus, PaymentMethod
from providers.models import SimulatedOrder
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RESELLER, checkout_token
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("placement_deferred"),
]

URL = "/buy/mobile-legends/"
SENDS = 5


def send_at_once(browser: Client, form: dict) -> list[tuple[int, str]]:
    """POST `form` SENDS times at once, each from a client with `browser`'s cookies (its
    session and CSRF cookie); (status, Location) of each reply."""
    barrier = threading.Barrier(SENDS)

    def post(_index):
        client = Client()
        for name, morsel in browser.cookies.items():
            client.cookies[name] = morsel.value
        barrier.wait()
        try:
            response = client.post(URL, form)
            return response.status_code, response.get("Location", "")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=SENDS) as pool:
        return list(pool.map(post, range(SENDS)))


def test_a_wallet_checkout_sent_5_times_at_once_makes_one_order_and_one_debit(storefront):
    _, ml5, _ = storefront
    reseller = make_user("res", reseller=True)
    fund(reseller, Decimal("10000"))
    browser = Client()
    browser.force_login(reseller)
    form = {
        "checkout_token": checkout_token(browser),
        "item": ml5.shop_item_id,
        **GAME_ZONE_INPUT,
        "payment_method": PaymentMethod.BALANCE,
    }

    replies = send_at_once(browser, form)

    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert replies == [(302, f"/orders/{order.code}/")] * SENDS
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1
    assert balance_of(reseller) == Decimal("10000") - ML5_RESELLER
    report = ledger_check()
    assert report.ok, report.problems


def test_a_guest_checkout_sent_5_times_at_once_makes_one_gateway_payment(storefront):
    _, ml5, _ = storefront
    browser = Client()
    form = {
        "checkout_token": checkout_token(browser),
        "item": ml5.shop_item_id,
        **GAME_ZONE_INPUT,
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
    }

    replies = send_at_once(browser, form)

    order = Order.objects.get()
    assert replies == [(302, f"/orders/{order.code}/?t={order.access_token}")] * SENDS
    assert SimulatedOrder.objects.filter(provider="sandbox").count() == 1
