"""Every rule of promotions through the order services: the price, each refusal, the
claim with the payment, the ledger, and giving a use back once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create, order_create_paid_from_wallet
from orders.services.payments import order_apply_gateway_payment, order_mark_paid
from orders.services.refunds import order_fail_and_refund
from orders.services.transitions import order_transition
from promotions.models import DiscountKind, PromoScope, PromoTiers, PromotionUse
from promotions.selectors import flash_sales_active, promotion_report
from promotions.services import promotion_pause, promotion_release
from providers.base import PaymentCallback, PaymentStatus
from shop.errors import ApplicationError
from tests.catalog.factories import BrandFactory, CategoryFactory, ProductFactory
from tests.orders.fixtures import GAME_INPUT, PRICE, RESELLER_PRICE, balance_of, fund, make_user
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory
from wallets.models import SystemAccount, Transfer
from wallets.selectors import ledger_check, order_money, system_account_balance

pytestmark = pytest.mark.django_db

COST = Decimal("10000.00")


def buy(product, user, *, code="", **kwargs) -> Order:
    """A wallet order, created and paid in one transaction (the checkout's path: a refusal
    rolls back that much)."""
    with transaction.atomic():
        return order_create_paid_from_wallet(
            purchase=Purchase(
                product=product,
                user=user,
                customer_data=GAME_INPUT,
                payment_method=PaymentMethod.BALANCE,
                promo_code=code,
                **kwargs,
            )
        )


def guest_buy(product, *, code="", email="guest@example.com") -> Order:
    return order_create(
        purchase=Purchase(
            product=product,
            guest_email=email,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            promo_code=code,
        )
    )


def refused(call) -> str:
    with pytest.raises(ApplicationError) as exc:
        call()
    assert exc.value.code == "promo_code_refused"
    assert exc.value.extra["fields"]["promo_code"]
    return exc.value.extra["reason"]


def promotions_balance() -> Decimal:
    return system_account_balance(SystemAccount.PROMOTIONS)


def sales_balance() -> Decimal:
    return system_account_balance(SystemAccount.SALES)


@pytest.fixture
def customer_funded(customer):
    fund(customer, Decimal("100000"))
    return customer


# --- the price and the ledger ------------------------------------------------------------------


def test_a_flat_code_lowers_the_price_and_books_the_discount_against_promotions(
    product, customer_funded
):
    promo = PromoCodeFactory(code="HEMAT300")

    order = buy(product, customer_funded, code="hemat300 ")  # any case, spaces trimmed

    assert order.price == PRICE - 300
    assert balance_of(customer_funded) == Decimal("100000") - (PRICE - 300)
    assert sales_balance() == PRICE  # sales at list price
    assert promotions_balance() == Decimal("-300.00")  # what the promotion cost
    use = PromotionUse.objects.get(order_id=order.pk)
    assert (use.list_price, use.discount, use.price, use.cost) == (PRICE, 300, PRICE - 300, COST)
    promo.refresh_from_db()
    assert promo.used == 1
    debit = Transfer.objects.get(idempotency_key=f"order:{order.code}:debit")
    assert sorted(leg.amount for leg in debit.legs.all()) == [-(PRICE - 300), -300, PRICE]
    assert order_money(order=order) == (PRICE - 300, None)
    report = ledger_check()
    assert report.ok, report.problems


def test_a_percent_code_rounds_down_and_respects_its_cap(product, customer_funded):
    PromoCodeFactory(
        code="P3",
        kind=DiscountKind.PERCENT,
        value=Decimal("3.33"),
        max_discount=Decimal("300"),
    )
    PromoCodeFactory(code="P1", kind=DiscountKind.PERCENT, value=Decimal("1.01"))

    capped = buy(product, customer_funded, code="P3")  # 3.33% of 10,500 = 349.65 -> 300
    rounded = buy(product, customer_funded, code="P1")  # 1.01% of 10,500 = 106.05

    assert capped.price == PRICE - 300
    assert rounded.price == PRICE - Decimal("106.05")


def test_no_code_means_the_list_price_and_no_use(product, customer_funded):
    PromoCodeFactory(code="UNUSED")

    order = buy(product, customer_funded)

    assert order.price == PRICE
    assert not PromotionUse.objects.exists()
    assert promotions_balance() == 0


# --- refusals ----------------------------------------------------------------------------------


def test_unknown_paused_early_and_expired_codes_are_refused_with_their_reason(
    product, customer_funded
):
    now = timezone.now()
    PromoCodeFactory(code="PAUSED", paused=True)
    PromoCodeFactory(
        code="EARLY", starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    PromoCodeFactory(
        code="OLD", starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )

    assert refused(lambda: buy(product, customer_funded, code="NOPE")) == "unknown"
    assert refused(lambda: buy(product, customer_funded, code="PAUSED")) == "paused"
    assert refused(lambda: buy(product, customer_funded, code="EARLY")) == "not_started"
    assert refused(lambda: buy(product, customer_funded, code="OLD")) == "expired"
    assert not Order.objects.exists()  # a refused code leaves no order and no debit
    assert balance_of(customer_funded) == Decimal("100000")


def test_a_code_is_used_up_at_its_total_limit(product, customer_funded):
    promo = PromoCodeFactory(code="TWO", total_limit=2)

    buy(product, customer_funded, code="TWO")
    buy(product, make_funded("other"), code="TWO")

    assert refused(lambda: buy(product, customer_funded, code="TWO")) == "used_up"
    promo.refresh_from_db()
    assert promo.used == 2


def make_funded(username: str, *, reseller: bool = False):
    user = make_user(username, reseller=reseller)
    fund(user, Decimal("100000"))
    return user


def test_a_buyer_uses_a_code_at_most_per_buyer_limit_times(product, customer_funded):
    PromoCodeFactory(code="ONCE", per_buyer_limit=1)

    buy(product, customer_funded, code="ONCE")

    assert refused(lambda: buy(product, customer_funded, code="ONCE")) == "buyer_limit"
    assert buy(product, make_funded("second"), code="ONCE").price == PRICE - 300


def test_a_guest_is_counted_by_their_contact(product):
    PromoCodeFactory(code="GUESTONCE", per_buyer_limit=1)

    guest_buy(product, code="GUESTONCE", email="Tamu@Example.com")

    assert refused(lambda: guest_buy(product, code="GUESTONCE", email="tamu@example.com")) == (
        "buyer_limit"
    )


def test_the_scope_decides_which_items_a_code_is_for(product, customer_funded):
    other_brand = ProductFactory(brand=BrandFactory(input_schema=product.brand.input_schema))
    other_category = ProductFactory(
        brand=BrandFactory(input_schema=product.brand.input_schema, category=CategoryFactory())
    )
    PromoCodeFactory(code="ITEM", scope=PromoScope.ITEM, item=product.shop_item)
    PromoCodeFactory(code="BRAND", scope=PromoScope.BRAND, brand=product.brand)
    PromoCodeFactory(
        code="CATEGORY", scope=PromoScope.CATEGORY, category=product.shop_item.category
    )

    for code in ("ITEM", "BRAND", "CATEGORY"):
        assert buy(product, customer_funded, code=code).price == PRICE - 300
    assert refused(lambda: buy(other_brand, customer_funded, code="ITEM")) == "not_for_item"
    assert refused(lambda: buy(other_brand, customer_funded, code="BRAND")) == "not_for_item"
    assert refused(lambda: buy(other_category, customer_funded, code="CATEGORY")) == (
        "not_for_item"
    )


def test_a_tier_code_is_only_for_that_tier(product, customer_funded):
    PromoCodeFactory(code="RESELLERS", tiers=PromoTiers.RESELLER, value=Decimal("200"))
    reseller = make_funded("reseller2", reseller=True)

    assert buy(product, reseller, code="RESELLERS").price == RESELLER_PRICE - 200
    assert refused(lambda: buy(product, customer_funded, code="RESELLERS")) == "not_for_tier"


def test_a_minimum_purchase_is_checked_against_the_list_price(product, customer_funded):
    PromoCodeFactory(code="MIN", min_purchase=PRICE + 1)
    PromoCodeFactory(code="MINOK", min_purchase=PRICE)

    assert refused(lambda: buy(product, customer_funded, code="MIN")) == "minimum_not_met"
    assert buy(product, customer_funded, code="MINOK").price == PRICE - 300


def test_a_first_order_code_is_refused_after_a_paid_order(product, customer_funded):
    PromoCodeFactory(code="WELCOME", first_order_only=True)
    newcomer = make_funded("newcomer")

    buy(product, customer_funded)  # a paid order already

    assert refused(lambda: buy(product, customer_funded, code="WELCOME")) == "first_order_only"
    assert buy(product, newcomer, code="WELCOME").price == PRICE - 300
    assert refused(lambda: buy(product, newcomer, code="WELCOME")) == "first_order_only"


def test_the_margin_floor_holds_after_the_discount_unless_allowed_below_cost(
    product, customer_funded
):
    PromoCodeFactory(code="DEEP", value=Decimal("501"))  # 10,500 - 501 < cost 10,000
    PromoCodeFactory(code="EXACT", value=Decimal("500"))  # exactly at cost: margin 0 allowed
    PromoCodeFactory(code="LOSS", value=Decimal("1000"), allowed_below_cost=True)

    assert refused(lambda: buy(product, customer_funded, code="DEEP")) == "below_margin"
    assert buy(product, customer_funded, code="EXACT").price == COST
    assert buy(product, customer_funded, code="LOSS").price == PRICE - 1000


def test_a_discount_never_takes_the_whole_price(product, customer_funded):
    PromoCodeFactory(code="FREE", kind=DiscountKind.PERCENT, value=100, allowed_below_cost=True)

    assert buy(product, customer_funded, code="FREE").price == Decimal("0.01")
    report = ledger_check()
    assert report.ok, report.problems


def test_pausing_a_code_stops_it(product, customer_funded):
    promo = PromoCodeFactory(code="STOP")
    promotion_pause(promotion=promo)

    assert refused(lambda: buy(product, customer_funded, code="STOP")) == "paused"
    promotion_pause(promotion=promo, paused=False)
    assert buy(product, customer_funded, code="STOP").price == PRICE - 300


# --- flash sales -------------------------------------------------------------------------------


def test_a_flash_sale_prices_its_item_without_a_code_until_its_stock_is_gone(
    product, customer_funded
):
    sale = FlashSaleFactory(item=product.shop_item, stock=2)

    first = buy(product, customer_funded)
    second = buy(product, customer_funded)
    third = buy(product, customer_funded)

    assert [first.price, second.price, third.price] == [Decimal("10100"), Decimal("10100"), PRICE]
    sale.refresh_from_db()
    assert (sale.sold, sale.remaining) == (2, 0)
    assert list(flash_sales_active()) == []
    assert promotions_balance() == Decimal("-800.00")
    assert sales_balance() == PRICE * 3


def test_a_flash_sale_has_a_reseller_price_and_skips_a_price_below_the_floor(
    product, customer_funded
):
    FlashSaleFactory(item=product.shop_item, price=Decimal("10300"), price_reseller=Decimal("9000"))
    reseller = make_funded("reseller3", reseller=True)

    assert buy(product, customer_funded).price == Decimal("10300")
    assert buy(product, reseller).price == RESELLER_PRICE  # 9,000 is below cost: not offered


def test_a_paused_ended_or_other_items_sale_does_not_apply(product, customer_funded):
    other = ProductFactory(brand=product.brand)
    FlashSaleFactory(item=other.shop_item)
    FlashSaleFactory(item=product.shop_item, paused=True)
    FlashSaleFactory(
        item=product.shop_item,
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() - timedelta(hours=1),
    )

    assert buy(product, customer_funded).price == PRICE
    assert [sale.item_id for sale in flash_sales_active()] == [other.shop_item_id]


def test_a_code_does_not_combine_with_a_flash_sale(product, customer_funded):
    FlashSaleFactory(item=product.shop_item)
    PromoCodeFactory(code="STACK")

    assert refused(lambda: buy(product, customer_funded, code="STACK")) == "flash_sale"


# --- giving back -------------------------------------------------------------------------------


def test_a_refund_gives_the_use_back_once_and_reverses_the_discount(product, customer_funded):
    promo = PromoCodeFactory(code="BACK", total_limit=1)
    order = buy(product, customer_funded, code="BACK")

    order = order_fail_and_refund(order=order, reason="staff", actor=customer_funded)
    order_fail_and_refund(order=order, reason="again", actor=customer_funded)

    assert order.status == OrderStatus.REFUNDED
    promo.refresh_from_db()
    assert promo.used == 0
    use = PromotionUse.objects.get(order_id=order.pk)
    assert use.released_at is not None
    assert use.release_reason == "refunded"
    assert balance_of(customer_funded) == Decimal("100000")
    assert promotions_balance() == 0
    assert sales_balance() == 0
    assert order_money(order=order) == (PRICE - 300, PRICE - 300)
    assert promotion_release(order_id=order.pk, reason="again") is False
    promo.refresh_from_db()
    assert promo.used == 0
    assert buy(product, make_funded("next"), code="BACK").price == PRICE - 300  # free again
    report = ledger_check()
    assert report.ok, report.problems


def test_a_refunded_flash_sale_order_gives_its_stock_back(product, customer_funded):
    sale = FlashSaleFactory(item=product.shop_item, stock=1)
    order = buy(product, customer_funded)

    order_fail_and_refund(order=order, reason="staff", actor=customer_funded)

    sale.refresh_from_db()
    assert sale.sold == 0
    assert buy(product, customer_funded).price == sale.price


def test_a_gateway_order_holds_its_use_until_it_expires(product):
    promo = PromoCodeFactory(code="HOLD", total_limit=1)
    order = guest_buy(product, code="HOLD")

    promo.refresh_from_db()
    assert (order.status, order.price, promo.used) == (OrderStatus.PENDING_PAYMENT, PRICE - 300, 1)
    assert refused(lambda: guest_buy(product, code="HOLD", email="b@example.com")) == "used_up"

    expired = PaymentCallback(
        merchant_ref=order.code,
        reference="T",
        status=PaymentStatus.EXPIRED,
        amount_received=None,
        total_amount=None,
    )
    order_apply_gateway_payment(order=order, callback=expired)

    promo.refresh_from_db()
    assert promo.used == 0
    order_transition(order=Order.objects.get(pk=order.pk), to=OrderStatus.NEEDS_REVIEW)
    promo.refresh_from_db()
    assert promo.used == 0  # given back once only


def test_a_cancelled_gateway_order_gives_its_use_back(product):
    promo = PromoCodeFactory(code="CANCEL")
    order = guest_buy(product, code="CANCEL")

    order_transition(order=order, to=OrderStatus.CANCELLED)

    promo.refresh_from_db()
    assert promo.used == 0


def test_a_gateway_payment_books_the_discount_against_promotions(product):
    PromoCodeFactory(code="GW")
    order = guest_buy(product, code="GW")

    order = order_mark_paid(order=order, amount=PRICE - 300)

    assert order.status == OrderStatus.PAID
    assert sales_balance() == PRICE
    assert promotions_balance() == Decimal("-300.00")
    assert system_account_balance(SystemAccount.GATEWAY_CLEARING) == -(PRICE - 300)
    report = ledger_check()
    assert report.ok, report.problems


def test_the_report_counts_uses_discount_revenue_and_margin(product, customer_funded):
    promo = PromoCodeFactory(code="REPORT")
    kept = buy(product, customer_funded, code="REPORT")
    refunded_order = buy(product, customer_funded, code="REPORT")
    order_fail_and_refund(order=refunded_order, reason="staff", actor=customer_funded)

    report = promotion_report(promotion=promo)

    assert (report.uses, report.released) == (1, 1)
    assert report.discount == 300
    assert report.revenue == kept.price
    assert report.list_revenue == PRICE
    assert report.margin == kept.price - COST


def test_a_flash_sale_repriced_between_quote_and_claim_is_not_taken_at_the_old_price(
    product, customer_funded, monkeypatch
):
    from orders import promotions as glue
    from promotions.models import FlashSale

    sale = FlashSaleFactory(item=product.shop_item)
    quote_then_reprice = glue.promotion_quote

    def quote(**kwargs):
        result = quote_then_reprice(**kwargs)
        FlashSale.objects.filter(pk=sale.pk).update(price=Decimal("10400"))  # staff, meanwhile
        return result

    monkeypatch.setattr(glue, "promotion_quote", quote)

    assert refused(lambda: buy(product, customer_funded)) == "changed"
    sale.refresh_from_db()
    assert sale.sold == 0
