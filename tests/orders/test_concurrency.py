"""Races on real PostgreSQL: many threads, one wallet or one order.

Each thread opens its own database connection. PostgreSQL here allows 100 connections, so
the 200 buyers start together at a barrier and then at most 50 hold a connection at once.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from orders.models import Order, OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.errors import ApplicationError
from tests.orders.fixtures import GAME_INPUT, RESELLER_PRICE, balance_of, fund
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("placement_deferred"),
]

MAX_CONNECTIONS_AT_ONCE = 50


def run_at_once(count: int, action) -> list[str]:
    """Start `count` threads together; each runs `action()` and reports an outcome."""
    barrier = threading.Barrier(count)
    connections = threading.BoundedSemaphore(MAX_CONNECTIONS_AT_ONCE)

    def worker(_index: int) -> str:
        barrier.wait()
        with connections:
            try:
                return action()
            except ApplicationError as exc:
                return exc.code
            finally:
                connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def test_200_buyers_at_once_from_a_wallet_that_holds_enough_for_100(product, reseller):
    fund(reseller, RESELLER_PRICE * 100)

    def buy() -> str:
        order = order_create(
            purchase=Purchase(
                product=product, user=reseller, customer_data=GAME_INPUT, payment_method="balance"
            )
        )
        return order_pay_with_balance(order=order).status

    outcomes = Counter(run_at_once(200, buy))

    assert outcomes == {OrderStatus.PAID: 100, "insufficient_balance": 100}
    assert Order.objects.filter(paid_at__isnull=False).count() == 100
    assert balance_of(reseller) == Decimal("0.00")
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 100
    report = ledger_check()
    assert report.ok, report.problems


@pytest.mark.parametrize(
    "result",
    [
        ProviderResult(status=ProviderStatus.FAILED, message="Gagal", rc="02"),
        ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(serial="SN-9")]),
    ],
    ids=["failed", "success"],
)
def test_the_same_update_from_5_threads_has_one_effect(balance_order, reseller, result):
    order = order_pay_with_balance(order=balance_order)

    run_at_once(5, lambda: order_apply_provider_update(order=order, result=result).status)

    order.refresh_from_db()
    refunds = Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").count()
    if result.status == ProviderStatus.FAILED:
        assert order.status == OrderStatus.REFUNDED
        assert refunds == 1
        assert balance_of(reseller) == Decimal("50000.00")
    else:
        assert order.status == OrderStatus.SUCCESS
        assert refunds == 0
        assert order.vouchers.count() == 1
    assert order.events.filter(to_status=order.status).count() == 1
    assert ledger_check().ok
