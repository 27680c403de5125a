"""Staff map a product a sync left unmapped to the suggested shop item, in a real browser:
the product list links the "to map" page, the suggestion's button maps it, and the item's
page then shows the product among its routes."""

from decimal import Decimal

import pytest

from catalog.models import Product
from shop.models import User
from tests.catalog.factories import BrandFactory, ProductFactory, ProviderFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_map_an_unmapped_product_to_the_suggested_item(live_server, page):
    User.objects.create_superuser(username="ops", email="ops@example.com", password="pw-ops-12345")
    brand = BrandFactory(name="Mobile Legends", slug="mobile-legends")
    mapped = ProductFactory(
        provider=ProviderFactory(code="digi", name="Digi"),
        brand=brand,
        name="MOBILE LEGENDS 86 Diamond",
        face_value=Decimal("86"),
    )
    item = mapped.shop_item
    item.name, item.face_value = "86 Diamonds", Decimal("86")
    item.save()
    unmapped = ProductFactory(
        provider=ProviderFactory(code="vip", name="VIP"),
        brand=brand,
        provider_sku="MLA86-S1",
        name="Mobile Legends A 86 Diamonds",
        face_value=Decimal("86"),
        shop_item=None,
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/catalog/product/")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill("pw-ops-12345")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="To map (1)").click()

    row = page.locator("tr.to-map-row", has_text="MLA86-S1")
    row.get_by_role("button", name="Map to “86 Diamonds” (86)").click()

    page.get_by_text("is now a route of 86 Diamonds").wait_for()
    assert page.get_by_text("Every product is mapped.").is_visible()
    assert Product.objects.get(pk=unmapped.pk).shop_item_id == item.pk

    page.goto(f"{live_server.url}/admin/catalog/shopitem/{item.pk}/change/")
    routes = page.locator("#routes-group")
    assert routes.get_by_text("MLA86-S1", exact=True).is_visible()
    assert routes.get_by_text("VIP", exact=True).is_visible()
