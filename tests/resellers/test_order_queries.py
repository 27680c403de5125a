"""The work of one API order, counted in queries: in all, and while the reseller's wallet row
is locked (every order of that reseller waits for it, so this part sets the order rate)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"
# Key lookup; product and pricing rule; the order, already paid, and its two events (in a
# savepoint, for a code collision); the ApiOrder; both wallets locked by one query; the
# ledger transfer in one statement (in a savepoint).
MAX_QUERIES = 14
# The ledger transfer only: wallets locked, the one statement that writes the transfer, its
# legs and both balances, the end of the transfer's savepoint and of the transaction.
MAX_UNDER_WALLET_LOCK = 4


def body(product, ref_id):
    return {"ref_id": ref_id, "product_id": product.pk, "customer_data": {"user_id": "12345678"}}


def test_an_api_order_takes_a_bounded_number_of_queries(
    api, priced_product, django_assert_max_num_queries
):
    api.post(ORDERS, body(priced_product, "R-warm"))  # first use: key's last_used_at, accounts

    with django_assert_max_num_queries(MAX_QUERIES):
        reply = api.post(ORDERS, body(priced_product, "R-1"))

    assert reply.status_code == 201, reply.content
    assert Order.objects.get(code=reply.json()["code"]).status == OrderStatus.PAID


def test_the_wallet_stays_locked_only_for_the_ledger_transfer(api, priced_product):
    api.post(ORDERS, body(priced_product, "R-warm"))

    with CaptureQueriesContext(connection) as captured:
        reply = api.post(ORDERS, body(priced_product, "R-1"))

    assert reply.status_code == 201, reply.content
    statements = [query["sql"] for query in captured.captured_queries]
    [lock_at] = [
        i
        for i, sql in enumerate(statements)
        if sql.startswith('SELECT "wallets_wallet"') and sql.endswith("FOR UPDATE")
    ]
    under_lock = statements[lock_at:]
    # The transaction ends (COMMIT; a savepoint release inside the test's transaction) and
    # only the reply's read of the vouchers follows.
    end = max(i for i, sql in enumerate(under_lock) if sql.startswith(("COMMIT", "RELEASE")))
    assert end + 1 <= MAX_UNDER_WALLET_LOCK, "\n".join(under_lock[: end + 1])
    assert not any(sql.startswith(("UPDATE", "INSERT")) for sql in under_lock[end + 1 :])
    assert not any("orders_order" in sql for sql in under_lock[: end + 1]), (
        "the order is written before the wallet is locked"
    )
