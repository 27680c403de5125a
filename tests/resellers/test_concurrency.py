"""10 identical POST /api/v1/orders at once on PostgreSQL: one order, one debit."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from orders.models import Order
from resellers.models import ApiOrder
from tests.orders.fixtures import RESELLER_PRICE, balance_of
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("placement_deferred"),
]


def test_10_identical_requests_at_once_make_one_order_and_one_debit(
    api, priced_product, funded_reseller
):
    from tests.resellers.conftest import ApiClient

    body = {
        "ref_id": "RACE-1",
        "product_id": priced_product.pk,
        "customer_data": {"user_id": "12345678"},
    }
    barrier = threading.Barrier(10)

    def post(_index):
        client = ApiClient(api.key)
        barrier.wait()
        try:
            reply = client.post("/api/v1/orders", body)
            return reply.status_code, reply.json()["code"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(post, range(10)))

    assert Counter(status for status, _code in outcomes) == {201: 1, 200: 9}
    assert len({code for _status, code in outcomes}) == 1
    assert Order.objects.count() == 1
    assert ApiOrder.objects.count() == 1
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1
    assert balance_of(funded_reseller) == Decimal("50000.00") - RESELLER_PRICE
    report = ledger_check()
    assert report.ok, report.problems


def test_10_requests_with_one_ref_id_and_different_bodies(api, priced_product, funded_reseller):
    from tests.resellers.conftest import ApiClient

    barrier = threading.Barrier(10)

    def post(index):
        client = ApiClient(api.key)
        body = {
            "ref_id": "RACE-2",
            "product_id": priced_product.pk,
            "customer_data": {"user_id": f"1234567{index}"},
        }
        barrier.wait()
        try:
            return client.post("/api/v1/orders", body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = Counter(pool.map(post, range(10)))

    assert outcomes == {201: 1, 409: 9}
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1
    assert balance_of(funded_reseller) == Decimal("50000.00") - RESELLER_PRICE
