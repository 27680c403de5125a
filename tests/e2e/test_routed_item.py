"""A routed shop item bought in Chromium: the Mobile Legends 5 Diamond item has a second,
cheaper route at another supplier, which is in its daily cut-off now. The page shows the
item once, at the shop's price (the margin floor against the dearer route that may be
used), never a supplier's name; the order goes to the Digiflazz route (the simulator in
the live server) and succeeds; the wallet pays the item's price."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.services import catalog_reprice_all
from orders.models import Order, OrderStatus
from tests.catalog.factories import ProductFactory, ProviderFactory
from tests.e2e.test_storefront import shop, sign_in, user_with_password  # noqa: F401 (fixture)
from tests.orders.fixtures import balance_of, fund

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reseller_buys_a_routed_item_and_it_goes_to_the_route_that_may_take_it(
    live_server,
    page,
    shop,  # noqa: F811 (the fixture imported above)
):
    _brand, ml5, _ml86 = shop
    now = timezone.localtime()
    closed = ProductFactory(
        shop_item=ml5.shop_item,
        brand=ml5.brand,
        provider=ProviderFactory(code="second", name="Second Supplier"),
        provider_sku="SECOND-ML5",
        name="SECOND ML 5",
        cost=Decimal("1300"),
        cutoff_start=(now - timedelta(minutes=10)).time().replace(second=0, microsecond=0),
        cutoff_end=(now + timedelta(minutes=10)).time().replace(second=0, microsecond=0),
    )
    catalog_reprice_all()
    reseller = user_with_password("reseller", reseller=True)
    fund(reseller, Decimal("50000"))

    sign_in(page, live_server.url, "reseller", next_path="/brands/mobile-legends/")
    offer = page.get_by_label("MOBILE LEGENDS 5 Diamond")
    assert offer.count() == 1
    # 1,300 + 2% = 1,326, raised to the dearer usable route's cost: 1,423 (+ no min margin)
    assert "Rp 1,423" in offer.locator("..").inner_text()
    content = page.content()
    for hidden in ("Second Supplier", "SECOND ML 5", "Digiflazz"):
        assert hidden not in content
    offer.check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Pay from my wallet").check()
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url("**/orders/**")

    page.locator('[data-status="success"]').wait_for(timeout=15_000)
    order = Order.objects.get()
    assert order.status == OrderStatus.SUCCESS
    assert order.shop_item_id == ml5.shop_item_id
    assert (order.product_id, order.provider_code) == (ml5.pk, "digiflazz")
    assert order.product_id != closed.pk
    assert (order.price, order.cost) == (Decimal("1423.00"), Decimal("1423.00"))
    assert balance_of(reseller) == Decimal("50000") - Decimal("1423")
