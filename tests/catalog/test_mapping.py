"""Mapping provider products to shop items: the suggestions, the services behind the admin,
the "to map" page with its one-click map, the bulk actions, and who may use them."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from catalog.models import DenominationType, Product, ShopItem
from catalog.services.items import catalog_reprice_items
from catalog.services.mapping import (
    mapping_suggestions,
    product_map_to_item,
    shop_items_create_for_products,
    unmapped_products,
)
from shop.errors import ApplicationError
from shop.models import User
from tests.catalog.factories import (
    BrandFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
    ShopItemFactory,
)
from tests.ops.conftest import ensure_staff_groups

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"
TO_MAP = "/admin/catalog/product/to-map/"


@pytest.fixture
def ml():
    """A brand with two items (86 and 172 diamonds) of provider A, and an unmapped 86
    diamonds of provider B."""
    brand = BrandFactory(name="Mobile Legends", slug="mobile-legends")
    a, b = ProviderFactory(code="prova"), ProviderFactory(code="provb")
    ml86 = ProductFactory(provider=a, brand=brand, name="MOBILE LEGENDS 86 Diamond")
    ml172 = ProductFactory(provider=a, brand=brand, name="MOBILE LEGENDS 172 Diamond")
    for product, value in ((ml86, 86), (ml172, 172)):
        product.shop_item.face_value = Decimal(value)
        product.shop_item.save()
    new86 = ProductFactory(
        provider=b,
        brand=brand,
        name="Mobile Legends 86 Diamonds",
        face_value=Decimal("86"),
        shop_item=None,
        price_retail=Decimal("21000"),
    )
    return {"brand": brand, "a": a, "b": b, "ml86": ml86, "ml172": ml172, "new86": new86}


# --- suggestions ------------------------------------------------------------------------------


def test_suggestions_are_the_items_of_the_same_brand_and_face_value(ml):
    assert mapping_suggestions(product=ml["new86"]) == [ml["ml86"].shop_item]


def test_without_a_face_value_match_every_item_of_the_brand_is_suggested_by_value(ml):
    odd = ProductFactory(
        provider=ml["b"], brand=ml["brand"], name="Weekly Pass", face_value=None, shop_item=None
    )

    assert mapping_suggestions(product=odd) == [ml["ml86"].shop_item, ml["ml172"].shop_item]


def test_no_item_with_a_route_from_the_products_provider_is_suggested(ml):
    # a second 86 diamonds of provider A is another thing (A lists each thing once)
    other = ProductFactory(
        provider=ml["a"], brand=ml["brand"], face_value=Decimal("86"), shop_item=None
    )

    assert mapping_suggestions(product=other) == []


def test_no_item_of_another_brand_or_type_is_suggested(ml):
    ShopItemFactory(name="Free Fire 86", face_value=Decimal("86"))  # another brand
    ShopItemFactory(
        brand=ml["brand"],
        denomination_type=DenominationType.FLEXIBLE,
        min_amount=Decimal("1"),
        max_amount=Decimal("10"),
        face_value=Decimal("86"),
    )

    assert mapping_suggestions(product=ml["new86"]) == [ml["ml86"].shop_item]


def test_bills_are_never_to_map(ml):
    bill = ProductFactory(denomination_type=DenominationType.BILL, shop_item=None)

    assert bill not in unmapped_products()
    assert ml["new86"] in unmapped_products()
    assert mapping_suggestions(product=bill) == []


# --- the services -------------------------------------------------------------------------


def test_mapping_makes_the_product_a_second_route_of_the_item(ml):
    item = ml["ml86"].shop_item

    assert product_map_to_item(products=[ml["new86"]], item=item) == 1

    assert set(item.routes.values_list("provider__code", flat=True)) == {"prova", "provb"}
    assert ml["new86"] not in unmapped_products()


def test_a_dearer_second_route_raises_the_items_price_to_its_floor_and_the_left_item_is_repriced(
    ml,
):
    PricingRuleFactory(percent=Decimal("5"), min_margin=Decimal("500"))
    item, new86 = ml["ml86"].shop_item, ml["new86"]
    old_item = ShopItemFactory(brand=ml["brand"], name="Old 86")
    Product.objects.filter(pk=new86.pk).update(shop_item=old_item, cost=Decimal("12000"))
    new86.refresh_from_db()
    catalog_reprice_items(items=[item, old_item])
    item.refresh_from_db()
    assert item.price_retail == Decimal("10500.00")  # 10,000 + 5%

    product_map_to_item(products=[new86], item=item)

    item.refresh_from_db()
    old_item.refresh_from_db()
    assert item.price_retail == Decimal("12500.00")  # the dearer route's 12,000 + 500
    assert old_item.price_retail is None
    assert old_item.unavailable_reason == "no route may be used"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"brand": "other"}, "of brand"),
        ({"denomination_type": DenominationType.BILL}, "postpaid bill"),
        ({"provider": "a"}, "already has a route from"),
    ],
)
def test_a_refused_mapping_changes_nothing(ml, change, why):
    product = ml["new86"]
    if change.get("brand"):
        product.brand = BrandFactory()
    if change.get("denomination_type"):
        product.denomination_type = change["denomination_type"]
    if change.get("provider"):
        product.provider = ml["a"]
    product.save()
    # mapped with a fine one: all or nothing
    fine = ProductFactory(provider=ProviderFactory(), brand=ml["brand"], shop_item=None)

    with pytest.raises(ApplicationError, match=why):
        product_map_to_item(products=[fine, product], item=ml["ml86"].shop_item)

    assert Product.objects.get(pk=fine.pk).shop_item_id is None
    assert Product.objects.get(pk=product.pk).shop_item_id is None


def test_two_products_of_one_provider_are_never_routes_of_one_item(ml):
    twin = ProductFactory(provider=ml["b"], brand=ml["brand"], shop_item=None)
    item = ShopItemFactory(brand=ml["brand"])

    with pytest.raises(ApplicationError, match="already has a route from"):
        product_map_to_item(products=[ml["new86"], twin], item=item)

    assert not item.routes.exists()


def test_an_item_for_each_product_takes_its_name_value_prices_and_brand_category(ml):
    (item,) = shop_items_create_for_products(products=[ml["new86"]])

    assert (item.brand, item.category, item.name) == (
        ml["brand"],
        ml["brand"].category,
        "Mobile Legends 86 Diamonds",
    )
    assert (item.face_value, item.price_retail) == (Decimal("86"), Decimal("21000"))
    assert list(item.routes.all()) == [ml["new86"]]


# --- the admin -----------------------------------------------------------------------------


def test_the_to_map_page_lists_unmapped_products_with_a_one_click_suggestion(admin_client, ml):
    page = admin_client.get(TO_MAP).content.decode()

    assert "Mobile Legends 86 Diamonds" in page
    assert "MOBILE LEGENDS 172 Diamond</a>" not in page  # mapped: not listed
    item = ml["ml86"].shop_item
    url = reverse("admin:catalog_product_map_to", args=[ml["new86"].pk, item.pk])
    assert f'action="{url}"' in page

    response = admin_client.post(url)

    assert response.status_code == 302
    assert Product.objects.get(pk=ml["new86"].pk).shop_item == item
    assert "Every product is mapped." in admin_client.get(TO_MAP).content.decode()


def test_the_one_click_map_says_why_it_refuses(admin_client, ml):
    other_item = ShopItemFactory()  # another brand
    url = reverse("admin:catalog_product_map_to", args=[ml["new86"].pk, other_item.pk])

    page = admin_client.post(url, follow=True).content.decode()

    assert "cannot be mapped: it is of brand Mobile Legends" in page
    assert Product.objects.get(pk=ml["new86"].pk).shop_item_id is None


def test_the_product_list_filters_what_is_to_map_and_links_the_page(admin_client, ml):
    response = admin_client.get(CHANGELIST, {"mapping": "to_map"})

    assert list(response.context["cl"].result_list) == [ml["new86"]]
    assert "To map (1)" in response.content.decode()


def test_bulk_map_to_item_asks_for_the_item_then_maps(admin_client, ml):
    twin = ProductFactory(provider=ProviderFactory(), brand=ml["brand"], shop_item=None)
    selected = {"action": "map_to_item", "_selected_action": [ml["new86"].pk, twin.pk]}

    ask = admin_client.post(CHANGELIST, selected)

    assert ask.status_code == 200
    assert "Map products to a shop item" in ask.content.decode()
    assert set(ask.context["form"].fields["shop_item"].queryset) == {
        ml["ml86"].shop_item,
        ml["ml172"].shop_item,
    }

    item = ml["ml86"].shop_item
    done = admin_client.post(CHANGELIST, {**selected, "apply": "1", "shop_item": item.pk})

    assert done.status_code == 302
    assert set(item.routes.all()) == {ml["ml86"], ml["new86"], twin}


def test_bulk_map_refuses_products_of_several_brands(admin_client, ml):
    stranger = ProductFactory(shop_item=None)
    selected = {"action": "map_to_item", "_selected_action": [ml["new86"].pk, stranger.pk]}

    page = admin_client.post(CHANGELIST, selected, follow=True).content.decode()

    assert "Select products of one brand" in page
    assert not Product.objects.filter(pk__in=[ml["new86"].pk, stranger.pk], shop_item__isnull=False)


def test_bulk_create_makes_an_item_for_each_and_skips_bills(admin_client, ml):
    bill = ProductFactory(denomination_type=DenominationType.BILL, shop_item=None)
    other = ProductFactory(name="Free Fire 70 Diamond", face_value=Decimal("70"), shop_item=None)
    items_before = ShopItem.objects.count()

    page = admin_client.post(
        CHANGELIST,
        {"action": "create_shop_items", "_selected_action": [ml["new86"].pk, other.pk, bill.pk]},
        follow=True,
    ).content.decode()

    assert "Created 2 shop item(s). 1 bill type(s) skipped" in page
    assert ShopItem.objects.count() == items_before + 2
    assert Product.objects.get(pk=other.pk).shop_item.face_value == Decimal("70")
    assert Product.objects.get(pk=bill.pk).shop_item_id is None


def test_the_shop_item_page_shows_routes_prices_and_why_not_for_sale(admin_client, ml):
    item = ml["ml86"].shop_item
    product_map_to_item(products=[ml["new86"]], item=item)

    page = admin_client.get(reverse("admin:catalog_shopitem_change", args=[item.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "routes (provider products this item is bought from)" in content.lower()
    assert "prova" in content.lower()
    assert "provb" in content.lower()
    item.refresh_from_db()  # mapping repriced it: no pricing rule here, so no price
    assert item.price_retail is None
    assert item.unavailable_reason
    assert item.unavailable_reason in content
    listing = admin_client.get(reverse("admin:catalog_shopitem_changelist")).content.decode()
    assert "2 of 2" in listing


def test_a_routes_pin_is_edited_inline(admin_client, ml):
    item = ml["ml86"].shop_item
    product_map_to_item(products=[ml["new86"]], item=item)
    url = reverse("admin:catalog_shopitem_change", args=[item.pk])
    form = admin_client.get(url).context["adminform"].form
    routes = list(item.routes.order_by("route_priority", "cost", "pk"))
    data = {
        **{name: value for name, value in form.initial.items() if value is not None},
        "brand": item.brand_id,
        "category": item.category_id or "",
        "face_value": "86",
        "routes-TOTAL_FORMS": str(len(routes)),
        "routes-INITIAL_FORMS": str(len(routes)),
        "routes-MIN_NUM_FORMS": "0",
        "routes-MAX_NUM_FORMS": "0",
    }
    data.pop("id", None)
    for n, route in enumerate(routes):
        data[f"routes-{n}-id"] = route.pk
        data[f"routes-{n}-shop_item"] = item.pk
        data[f"routes-{n}-admin_active"] = "on"
        data[f"routes-{n}-route_priority"] = "1" if route == ml["new86"] else ""

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get(pk=ml["new86"].pk).route_priority == 1
    assert Product.objects.get(pk=ml["ml86"].pk).route_priority is None


def test_support_may_view_shop_items_and_the_to_map_page_but_not_map(ml):
    ensure_staff_groups()  # as the migrations made them (a transactional test may have run)
    support = Group.objects.get(name="support")
    assert support.permissions.filter(codename="view_shopitem").exists()
    assert not support.permissions.filter(codename="change_product").exists()
    assert Group.objects.get(name="finance").permissions.filter(codename="view_shopitem").exists()
    assert Group.objects.get(name="admin").permissions.filter(codename="change_shopitem").exists()
    user = User.objects.create_user(username="sue", password="pw", is_staff=True)
    user.groups.add(support)
    client = Client()
    client.force_login(user)

    assert client.get(reverse("admin:catalog_shopitem_changelist")).status_code == 200
    page = client.get(TO_MAP).content.decode()
    assert "Mobile Legends 86 Diamonds" in page
    assert "Map to" not in page  # no button without the change permission
    item = ml["ml86"].shop_item
    url = reverse("admin:catalog_product_map_to", args=[ml["new86"].pk, item.pk])
    assert client.post(url).status_code == 403
    assert Product.objects.get(pk=ml["new86"].pk).shop_item_id is None


def test_a_mapper_without_the_add_permission_cannot_create_items(ml):
    user = User.objects.create_user(username="mapper", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_product", "change_product"])
    )
    client = Client()
    client.force_login(user)

    response = client.post(
        CHANGELIST, {"action": "create_shop_items", "_selected_action": [ml["new86"].pk]}
    )

    assert response.status_code == 403
    assert Product.objects.get(pk=ml["new86"].pk).shop_item_id is None
