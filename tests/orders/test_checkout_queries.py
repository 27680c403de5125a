"""The storefront's wallet checkout, counted in queries: the pricing rules come from the
process's memory (shop.local_cache) and the debit of the new order takes no savepoint."""

from decimal import Decimal

import pytest

from orders.checkout import checkout_create
from orders.models import OrderStatus, PaymentMethod
from orders.purchase import Purchase
from tests.orders.fixtures import GAME_INPUT, RESELLER_PRICE, balance_of, fund

pytestmark = pytest.mark.django_db
# The order, already paid, and its two events (in a savepoint: 2 more); both wallets locked
# by one query; the ledger transfer in one statement; the checkout's own savepoint (2).
# Was 11 before the pricing rules were cached and the debit's savepoint dropped. The item's
# running flash sale (promotions) is looked up once, and the chosen route's circuit
# (providers.health, one indexed read): 2 more. (The item and its routes are the test's,
# already loaded.)
QUERIES_PER_CHECKOUT = 10


def test_a_wallet_checkout_takes_a_fixed_number_of_queries(
    product, reseller, sales_stripes, rows_committed, django_assert_num_queries
):
    fund(reseller, Decimal("50000"))
    rows_committed()

    def buy():
        purchase = Purchase(
            product=product,
            user=reseller,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.BALANCE,
        )
        return checkout_create(purchase=purchase)

    buy()  # fills the process's pricing rules
    with django_assert_num_queries(QUERIES_PER_CHECKOUT):
        order = buy()

    assert order.status == OrderStatus.PAID
    assert balance_of(reseller) == Decimal("50000") - 2 * RESELLER_PRICE
