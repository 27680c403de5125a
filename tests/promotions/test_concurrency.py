"""Promotions under load on real PostgreSQL: many threads, each with its own connection,
through the storefront's checkout service and the reseller API at once."""

import itertools
import threading
from collections import Counter
from decimal import Decimal

import pytest

from orders.checkout import checkout_create
from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.refunds import order_fail_and_refund
from promotions.models import FlashSale, PromoCode, PromotionUse
from resellers.services import ApiOrderRequest, api_order_create
from tests.orders.fixtures import GAME_INPUT, PRICE, RESELLER_PRICE, fund, make_user
from tests.orders.test_concurrency import run_at_once
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory
from wallets.models import SystemAccount
from wallets.selectors import ledger_check, system_account_balance
from wallets.services import system_wallet

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("placement_deferred"),
]

BUYERS = 200


@pytest.fixture
def buyers(product, sales_stripes):
    """Ten shoppers (storefront) and ten resellers (API), each funded for 20 orders; the
    system accounts exist, as in a shop that has taken orders (a transactional test's flush
    removed them; the first order on a missing `sales` stripe creates it while it holds the
    buyer's wallet, out of key order: wallets.services.order_money)."""
    system_wallet(SystemAccount.PROMOTIONS)
    customers = [make_user(f"shopper{n}") for n in range(10)]
    resellers = [make_user(f"api{n}", reseller=True) for n in range(10)]
    for user in (*customers, *resellers):
        fund(user, PRICE * 20)
    return customers, resellers


def mixed_buy(product, buyers, *, code: str):
    """An action for `run_at_once`: even calls buy through the storefront checkout (wallet),
    odd ones through the API, spread over the buyers; each returns the order's price."""
    customers, resellers = buyers
    counter = itertools.count()
    lock = threading.Lock()

    def buy() -> str:
        with lock:
            n = next(counter)
        if n % 2 == 0:
            order = checkout_create(
                purchase=Purchase(
                    product=product,
                    user=customers[n % 10],
                    customer_data=GAME_INPUT,
                    payment_method=PaymentMethod.BALANCE,
                    promo_code=code,
                )
            )
        else:
            api_order, _ = api_order_create(
                user=resellers[n % 10],
                ref_id=f"ref-{n}",
                request=ApiOrderRequest(
                    product_id=product.pk, customer_data=GAME_INPUT, promo_code=code
                ),
            )
            order = api_order.order
        return f"{order.price_tier}:{order.price}"

    return buy


def test_200_orders_at_once_on_a_code_with_100_uses_discount_exactly_100(product, buyers):
    PromoCodeFactory(code="CEPAT", value=Decimal("200"), total_limit=100)

    outcomes = Counter(run_at_once(BUYERS, mixed_buy(product, buyers, code="CEPAT")))

    discounted = {f"retail:{PRICE - 200}", f"reseller:{RESELLER_PRICE - 200}"}
    assert sum(count for key, count in outcomes.items() if key in discounted) == 100
    assert outcomes["promo_code_refused"] == 100  # used up: refused, no order, no debit
    assert set(outcomes) == {*discounted, "promo_code_refused"}
    promo = PromoCode.objects.get(code="CEPAT")
    assert promo.used == 100
    assert PromotionUse.objects.filter(promo_code=promo).count() == 100
    assert Order.objects.count() == 100
    assert system_account_balance(SystemAccount.PROMOTIONS) == Decimal("-20000.00")
    report = ledger_check()
    assert report.ok, report.problems


def test_a_flash_sale_with_stock_50_sells_exactly_50_to_200_buyers(product, buyers):
    sale = FlashSaleFactory(
        item=product.shop_item, price=Decimal("10100"), price_reseller=Decimal("10050"), stock=50
    )

    outcomes = Counter(run_at_once(BUYERS, mixed_buy(product, buyers, code="")))

    at_sale = outcomes["retail:10100.00"] + outcomes["reseller:10050.00"]
    assert at_sale == 50
    # the others: the list price once the stock is gone, or refused (`promo_code_refused`,
    # "sold_out") when it went between their quote and their claim; never the sale price
    assert set(outcomes) <= {
        "retail:10100.00",
        "reseller:10050.00",
        f"retail:{PRICE}",
        f"reseller:{RESELLER_PRICE}",
        "promo_code_refused",
    }
    sale.refresh_from_db()
    assert sale.sold == 50
    assert PromotionUse.objects.filter(flash_sale=sale).count() == 50
    report = ledger_check()
    assert report.ok, report.problems


def test_refunds_racing_give_each_use_back_once(product, buyers):
    promo = PromoCodeFactory(code="BALIK", value=Decimal("200"), total_limit=20)
    customers, _resellers = buyers
    orders = [
        checkout_create(
            purchase=Purchase(
                product=product,
                user=customers[n % 10],
                customer_data=GAME_INPUT,
                payment_method=PaymentMethod.BALANCE,
                promo_code="BALIK",
            )
        )
        for n in range(20)
    ]
    staff = make_user("staff")
    jobs = iter([order for order in orders for _ in range(3)])  # each refunded 3 times at once
    lock = threading.Lock()

    def refund() -> str:
        with lock:
            order = next(jobs)
        return order_fail_and_refund(order=order, reason="staff", actor=staff).status

    outcomes = Counter(run_at_once(60, refund))

    assert outcomes == {OrderStatus.REFUNDED: 60}
    promo.refresh_from_db()
    assert promo.used == 0
    assert PromotionUse.objects.filter(released_at__isnull=False).count() == 20
    assert system_account_balance(SystemAccount.PROMOTIONS) == 0
    assert system_account_balance(SystemAccount.SALES) == 0
    assert FlashSale.objects.count() == 0
    report = ledger_check()
    assert report.ok, report.problems
