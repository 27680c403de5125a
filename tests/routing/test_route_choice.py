"""Route choice (orders.routing): which provider product an order of a shop item goes to,
and why the others are skipped. Real rows in PostgreSQL; the time of day is given."""

from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from orders.routing import in_cutoff, item_route_report, route_choose
from providers.health import provider_circuit_force
from providers.models import CircuitState, ProviderCircuit
from tests.catalog.factories import ProductFactory, ProviderFactory, ShopItemFactory

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")


def at(hour: int, minute: int = 0) -> datetime:
    """A moment at `hour:minute` shop time (settings.TIME_ZONE is Asia/Jakarta)."""
    return datetime(2026, 12, 7, hour, minute, tzinfo=JAKARTA)


@pytest.fixture
def item():
    return ShopItemFactory()


def route(item, cost, **kwargs):
    return ProductFactory(
        shop_item=item,
        brand=item.brand,
        cost=Decimal(cost),
        provider=kwargs.pop("provider", None) or ProviderFactory(),
        **kwargs,
    )


def usable(item, **kwargs):
    return [r.product for r in item_route_report(item, **kwargs).usable]


def skipped(item, **kwargs):
    return {s.product: s.reason for s in item_route_report(item, **kwargs).skipped}


def test_the_cheapest_route_wins_then_the_lower_pk(item):
    dear = route(item, "10500")
    cheap = route(item, "9800")
    same_as_cheap = route(item, "9800")

    assert usable(item) == [cheap, same_as_cheap, dear]
    assert route_choose(item).product == cheap
    assert route_choose(item).cost == Decimal("9800.00")


def test_cost_is_in_the_shop_currency(item):
    usd = ProviderFactory(currency="USD", exchange_rate=Decimal("16000"))
    in_usd = route(item, "0.60", provider=usd)  # 9,600 IDR
    in_idr = route(item, "9700")

    assert usable(item) == [in_usd, in_idr]
    assert route_choose(item).cost == Decimal("9600.00")


def test_staff_pins_come_before_cheaper_routes_and_1_before_2(item):
    cheapest = route(item, "9000")
    pinned_2 = route(item, "9900", route_priority=2)
    pinned_1 = route(item, "10000", route_priority=1)

    assert usable(item) == [pinned_1, pinned_2, cheapest]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"provider": {"enabled": False}}, "is disabled"),
        ({"provider": {"out_of_balance_since": timezone.now()}}, "is out of balance"),
        ({"product": {"provider_active": False}}, "inactive at the provider"),
        ({"product": {"admin_active": False}}, "deactivated by an admin"),
        ({"product": {"stock": 0}}, "out of stock"),
        ({"provider": {"last_balance": Decimal("8999.99")}}, "last balance 8999.99 is below"),
    ],
)
def test_a_route_that_may_not_take_the_order_is_skipped_and_the_next_one_is_chosen(
    item, change, reason
):
    cheap = route(item, "9000")
    other = route(item, "9500")
    for field, value in change.get("provider", {}).items():
        setattr(cheap.provider, field, value)
    cheap.provider.save()
    for field, value in change.get("product", {}).items():
        setattr(cheap, field, value)
    cheap.save()

    assert route_choose(item).product == other
    assert reason in skipped(item)[cheap]
    assert usable(item) == [other]


def test_stock_and_balance_that_cover_the_order_keep_the_route(item):
    cheap = route(item, "9000", stock=1)
    cheap.provider.last_balance = Decimal("9000")
    cheap.provider.save()
    route(item, "9500")

    assert route_choose(item).product == cheap


def test_the_balance_is_compared_in_the_providers_currency(item):
    usd = ProviderFactory(currency="USD", exchange_rate=Decimal("16000"), last_balance=Decimal("1"))
    in_usd = route(item, "0.60", provider=usd)  # 0.60 USD: a balance of 1 USD covers it

    assert route_choose(item).product == in_usd


def test_the_balance_of_a_flexible_route_covers_the_amount():
    item = ShopItemFactory(
        denomination_type="flexible", min_amount=Decimal("10000"), max_amount=Decimal("1000000")
    )
    provider = ProviderFactory(last_balance=Decimal("50000"))
    flexible = ProductFactory(flexible=True, shop_item=item, brand=item.brand, provider=provider)

    assert route_choose(item, amount=Decimal("50000")).cost == Decimal("47500.00")
    assert route_choose(item, amount=Decimal("60000")) is None  # 57,000 > 50,000
    assert "last balance" in skipped(item, amount=Decimal("60000"))[flexible]


@pytest.mark.parametrize(
    ("start", "end", "hour", "minute", "closed"),
    [
        (time(23, 0), time(1, 0), 22, 59, False),
        (time(23, 0), time(1, 0), 23, 0, True),  # past midnight: before it
        (time(23, 0), time(1, 0), 0, 30, True),  # past midnight: after it
        (time(23, 0), time(1, 0), 1, 0, False),  # the end is open
        (time(12, 0), time(13, 0), 12, 30, True),
        (time(12, 0), time(13, 0), 13, 30, False),
        (time(12, 0), time(12, 0), 12, 0, False),  # an empty window
        (None, time(1, 0), 0, 30, False),  # half a window is none
    ],
)
def test_the_daily_cut_off_in_shop_time_including_windows_past_midnight(
    item, start, end, hour, minute, closed
):
    cheap = route(item, "9000", cutoff_start=start, cutoff_end=end)
    other = route(item, "9500")

    chosen = item_route_report(item, now=at(hour, minute)).usable[0].product
    assert chosen == (other if closed else cheap)
    if closed:
        assert "cut-off" in skipped(item, now=at(hour, minute))[cheap]


def test_the_cut_off_is_read_in_the_shop_time_zone_not_utc(item):
    cheap = route(item, "9000", cutoff_start=time(23, 0), cutoff_end=time(1, 0))
    route(item, "9500")
    utc_midnight = datetime(2026, 12, 7, 0, 0, tzinfo=ZoneInfo("UTC"))  # 07:00 in Jakarta

    assert item_route_report(item, now=utc_midnight).usable[0].product == cheap


def test_in_cutoff_alone():
    assert in_cutoff(time(22, 0), time(2, 0), time(3, 0)) is False
    assert in_cutoff(time(22, 0), time(2, 0), time(1, 59)) is True


def test_max_cost_skips_dearer_routes_unless_the_item_allows_below_cost(item):
    cheap = route(item, "9000", route_priority=2)
    pinned_dear = route(item, "10001", route_priority=1)

    assert route_choose(item).product == pinned_dear
    assert route_choose(item, max_cost=Decimal("10000")).product == cheap
    assert "above 10000" in skipped(item, max_cost=Decimal("10000"))[pinned_dear]
    assert route_choose(item, max_cost=Decimal("8999")) is None

    item.allow_below_cost = True
    item.save()
    assert route_choose(item, max_cost=Decimal("8999")).product == pinned_dear


def test_excluded_providers_are_skipped_for_failover(item):
    cheap = route(item, "9000")
    other = route(item, "9500")

    chosen = route_choose(item, exclude_provider_codes=[cheap.provider.code])
    assert chosen.product == other
    assert skipped(item, exclude_provider_codes=[cheap.provider.code])[cheap] == (
        "excluded for this order"
    )
    assert (
        route_choose(item, exclude_provider_codes=[cheap.provider.code, other.provider.code])
        is None
    )


def test_an_item_without_routes_has_none(item):
    assert route_choose(item) is None
    assert item_route_report(item).skipped == []


def test_another_items_routes_are_not_this_items(item):
    route(item, "9000")
    ProductFactory(cost=Decimal("1"))  # its own item

    assert len(usable(item)) == 1


def test_an_open_circuit_sends_the_order_to_the_next_route(item):
    """Through the circuit breaker's own state (`provider_circuit_force`, a row in the
    database): nothing about the circuit is faked."""
    cheap = route(item, "9000")
    other = route(item, "9500")
    provider_circuit_force(code=cheap.provider.code, state="open", actor=None, reason="test")

    assert route_choose(item).product == other
    assert "circuit is open" in skipped(item)[cheap]


def test_the_report_leaves_a_half_open_circuits_one_probe_to_the_order(item):
    cheap = route(item, "9000")
    route(item, "9500")
    ProviderCircuit.objects.create(provider=cheap.provider.code, state=CircuitState.HALF_OPEN)

    assert "circuit is half_open" in skipped(item)[cheap]  # a report (the admin's) ...
    assert route_choose(item).product == cheap  # ... takes no probe: the order gets it
    assert route_choose(item).product != cheap  # and it is the only one
