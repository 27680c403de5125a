"""The work of one API order, counted in queries: in all, and while the reseller's wallet row
is locked (every order of that reseller waits for it, so this part sets the order rate)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus
from resellers.models import ApiOrder
from resellers.serializers import OrderOutput, order_reply
from tests.orders.fixtures import GAME_INPUT

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"
# With the key and the pricing rules in the process's memory (shop.local_cache): the shop
# item (with its brand, one query) and its routes with their providers (one: routing); the
# order, already paid, and its two
# events (in a savepoint, for a code collision: 2 more); the ApiOrder; both wallets locked
# by one query; the ledger transfer in one statement (no savepoint: the order is new); and
# here the test's own savepoint around the request (2); the item's running flash sale
# (promotions, one query); the chosen route's circuit (providers.health, one indexed
# read). Was 14 at most before the caches, 10 before routing (one query for the product).
# The deprecated `product_id` reads the product first: one more.
QUERIES_PER_ORDER = 13
# The ledger transfer only: wallets locked, the one statement that writes the transfer, its
# legs and both balances, and the end of the transaction.
MAX_UNDER_WALLET_LOCK = 3


def body(product, ref_id, *, by="item_id"):
    target = product.shop_item_id if by == "item_id" else product.pk
    return {"ref_id": ref_id, by: target, "customer_data": {"user_id": "12345678"}}


@pytest.mark.parametrize(("by", "extra"), [("item_id", 0), ("product_id", 1)])
def test_an_api_order_takes_a_fixed_number_of_queries(
    api, priced_product, sales_stripes, rows_committed, django_assert_num_queries, by, extra
):
    rows_committed()
    api.post(ORDERS, body(priced_product, "R-warm", by=by))  # first use: last_used_at, caches

    with django_assert_num_queries(QUERIES_PER_ORDER + extra):
        reply = api.post(ORDERS, body(priced_product, "R-1", by=by))

    assert reply.status_code == 201, reply.content
    assert Order.objects.get(code=reply.json()["code"]).status == OrderStatus.PAID


def test_the_wallet_stays_locked_only_for_the_ledger_transfer(api, priced_product, sales_stripes):
    api.post(ORDERS, body(priced_product, "R-warm"))

    with CaptureQueriesContext(connection) as captured:
        reply = api.post(ORDERS, body(priced_product, "R-1"))

    assert reply.status_code == 201, reply.content
    statements = [query["sql"] for query in captured.captured_queries]
    [lock_at] = [
        i
        for i, sql in enumerate(statements)
        if sql.startswith("SELECT") and "wallets_wallet" in sql and "FOR UPDATE" in sql
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


def test_the_reply_is_the_order_output_serializer_written_out(
    api, priced_product, balance_order, django_assert_num_queries
):
    """`order_reply` (the fast path of the order calls) says exactly what `OrderOutput` says:
    a new order, one with codes and a refund note, one with a flexible amount."""
    reply = api.post(ORDERS, body(priced_product, "R-1"))
    new = ApiOrder.objects.select_related("order").get(ref_id="R-1")
    balance_order.vouchers.create(code="CODE-1", pin="1234", serial="S1")
    balance_order.refund_note = "Refunded: the provider failed."
    balance_order.amount = "25000.00"
    balance_order.save()
    with_codes = ApiOrder.objects.create(
        user=balance_order.user, ref_id="R-2", order=balance_order, fingerprint="x"
    )
    with_codes = ApiOrder.objects.select_related("order").get(pk=with_codes.pk)

    assert reply.json() == dict(OrderOutput(new).data)
    for api_order in (new, with_codes):
        assert order_reply(api_order) == OrderOutput(api_order).data
    assert order_reply(with_codes)["vouchers"][0]["code"] == "CODE-1"
    assert order_reply(new)["customer_data"] == GAME_INPUT
