"""The sync and the shop's catalog, on PostgreSQL through the providers' simulators (real
HTTP, live_server): new products wait "to map", or with CATALOG_AUTO_MAP are linked to the
item of their brand and face value (else get one); brand names are matched whatever their
case and punctuation (or by alias); Digiflazz's stock and cut-off reach the products."""

from datetime import time
from decimal import Decimal

import pytest

from catalog.models import Brand, BrandAlias, Product, ShopItem, SyncRun
from catalog.services.mapping import unmapped_products
from providers.defaults import provider_ensure
from providers.digiflazz import simulator_catalog
from providers.digiflazz.adapter import price_list_cutoff, price_list_stock
from providers.sync import catalog_sync
from tests.catalog.factories import BrandFactory, PricingRuleFactory

pytestmark = pytest.mark.django_db(transaction=True)

DIGIFLAZZ_GAMES = {"ML5", "ML86", "ML172", "ML257", "FF5", "FF70", "FF140", "FF355"}


@pytest.fixture
def simulators(live_server, settings):
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.VIPRESELLER_BASE_URL = live_server.url + "/sim/vipreseller/api"
    settings.VIPRESELLER_API_ID = "sim-vip-id"
    settings.VIPRESELLER_API_KEY = "sim-vip-key"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    PricingRuleFactory(percent=Decimal("5"))
    return provider_ensure("digiflazz"), provider_ensure("vipreseller")


def sync(provider, **options) -> SyncRun:
    run = catalog_sync(provider=provider, **options)
    assert run.status == SyncRun.Status.SUCCESS, run.message
    return run


def routes(item: ShopItem) -> set[tuple[str, str]]:
    return set(item.routes.values_list("provider__code", "provider_sku"))


def test_without_auto_map_every_new_product_waits_to_be_mapped(simulators, settings):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, _ = simulators

    run = sync(digiflazz)

    new = Product.objects.filter(provider=digiflazz).exclude(denomination_type="bill")
    assert new.count() == run.created > 0
    assert set(unmapped_products()) == set(new)
    assert not ShopItem.objects.exists()
    assert "auto-map" not in run.message
    # the face value is read at creation, for the suggestions
    assert new.get(provider_sku="TSEL10").face_value == Decimal("10000")
    assert new.get(provider_sku="ML86").face_value == Decimal("86")


def test_auto_map_creates_items_then_links_the_second_providers_products(simulators, settings):
    settings.CATALOG_AUTO_MAP = True
    digiflazz, vip = simulators

    first = sync(digiflazz)

    assert not unmapped_products().filter(provider=digiflazz).exists()
    ml86 = Product.objects.get(provider=digiflazz, provider_sku="ML86").shop_item
    assert (ml86.name, ml86.face_value, ml86.brand.slug) == (
        "MOBILE LEGENDS 86 Diamond",
        Decimal("86"),
        "mobile-legends",
    )
    assert ml86.price_retail == Product.objects.get(provider_sku="ML86").price_retail
    assert f"created {first.created} items" in first.message

    second = sync(vip)

    # VIP's "Mobile Legends A 86 Diamonds" is Digiflazz's MOBILE LEGENDS 86 Diamond
    assert routes(ml86) == {("digiflazz", "ML86"), ("vipreseller", "MLA86-S1")}
    ff70 = Product.objects.get(provider=digiflazz, provider_sku="FF70").shop_item
    assert routes(ff70) == {("digiflazz", "FF70"), ("vipreseller", "FF70-S1")}
    # no Digiflazz item of 1048 diamonds or of PUBG: VIP's get items of their own
    pubg = Product.objects.get(provider=vip, provider_sku="PUBGM60-S1").shop_item
    assert routes(pubg) == {("vipreseller", "PUBGM60-S1")}
    assert pubg.face_value == Decimal("60")
    assert "auto-map: linked 5 to existing items" in second.message  # ML 5/86/172, FF 70/140
    assert Brand.objects.filter(slug__startswith="mobile-legends").count() == 1


def test_auto_map_leaves_an_ambiguous_product_to_staff(simulators, settings):
    settings.CATALOG_AUTO_MAP = True
    digiflazz, vip = simulators
    sync(digiflazz)
    brand = Brand.objects.get(slug="mobile-legends")
    # a second item of 86 diamonds (staff made it, say a bundle): which one is VIP's?
    ShopItem.objects.create(brand=brand, name="86 Diamonds bundle", face_value=Decimal("86"))

    run = sync(vip)

    vip86 = Product.objects.get(provider=vip, provider_sku="MLA86-S1")
    assert vip86.shop_item_id is None
    assert vip86 in unmapped_products()
    assert "1 left to map" in run.message


def test_auto_map_never_merges_two_products_of_one_provider(simulators, settings):
    """Digiflazz's "XL 10.000" (credit) and "XL Data 10.000 (testing)" share brand and face
    value: each gets its own item, not one item with two Digiflazz routes."""
    settings.CATALOG_AUTO_MAP = True
    digiflazz, _ = simulators

    sync(digiflazz)

    credit = Product.objects.get(provider_sku="XL10").shop_item
    data = Product.objects.get(provider_sku=simulator_catalog.TEST_SKU).shop_item
    assert credit != data
    assert routes(credit) == {("digiflazz", "XL10")}


def test_auto_map_touches_only_the_new_products(simulators, settings):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, _ = simulators
    sync(digiflazz)
    settings.CATALOG_AUTO_MAP = True

    run = sync(digiflazz)  # nothing new: what staff left unmapped stays so

    assert run.created == 0
    assert unmapped_products().filter(provider=digiflazz).count() > 0
    assert not ShopItem.objects.exists()


def test_the_demo_sync_maps_whatever_the_setting(simulators, settings):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, vip = simulators

    sync(digiflazz, auto_map=True)
    sync(vip, auto_map=True)

    two_providers = [
        item for item in ShopItem.objects.all() if len({code for code, _ in routes(item)}) == 2
    ]
    assert len(two_providers) >= 2


def test_brand_names_match_whatever_their_case_and_punctuation(simulators, settings):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, _ = simulators
    ml = BrandFactory(name="Mobile Legends", slug="ml")  # staff's brand and slug
    ff = BrandFactory(name="Free-Fire!", slug="free-fire-game")

    sync(digiflazz)

    assert set(
        Product.objects.filter(provider_sku__startswith="ML").values_list("brand", flat=True)
    ) == {ml.pk}
    assert set(
        Product.objects.filter(provider_sku__startswith="FF").values_list("brand", flat=True)
    ) == {ff.pk}
    assert not Brand.objects.filter(slug__in=["mobile-legends", "free-fire"]).exists()
    ml.refresh_from_db()
    assert ml.name == "Mobile Legends"  # the shop's name is kept


def test_a_brand_alias_files_a_providers_other_name_under_the_shops_brand(simulators, settings):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, _ = simulators
    wallet = BrandFactory(name="GoPay", slug="gopay-wallet")
    BrandAlias.objects.create(name="GO-PAY", brand=wallet)  # Digiflazz says "GO PAY"

    sync(digiflazz)

    assert set(
        Product.objects.filter(provider_sku__startswith="GOPAY").values_list("brand", flat=True)
    ) == {wallet.pk}


def test_stock_and_cut_off_come_from_the_digiflazz_price_list(simulators, settings, monkeypatch):
    settings.CATALOG_AUTO_MAP = False
    digiflazz, _ = simulators
    listed = [dict(item) for item in simulator_catalog.DEMO_PRODUCTS]
    by_sku = {item["buyer_sku_code"]: item for item in listed}
    by_sku["ML86"].update(
        unlimited_stock=False, stock=12, start_cut_off="23:45", end_cut_off="00:15"
    )
    by_sku["ML5"].update(unlimited_stock=True, stock=0)
    monkeypatch.setattr(simulator_catalog, "DEMO_PRODUCTS", listed)

    sync(digiflazz)

    ml86 = Product.objects.get(provider_sku="ML86")
    assert (ml86.stock, ml86.cutoff_start, ml86.cutoff_end) == (12, time(23, 45), time(0, 15))
    ml5 = Product.objects.get(provider_sku="ML5")
    assert (ml5.stock, ml5.cutoff_start, ml5.cutoff_end) == (None, None, None)
    ff5 = Product.objects.get(provider_sku="FF5")  # the simulator's own: 00:00 to 00:00
    assert (ff5.stock, ff5.cutoff_start) == (9_999_999, None)

    by_sku["ML86"].update(stock=0)
    run = sync(digiflazz)

    assert Product.objects.get(provider_sku="ML86").stock == 0
    assert run.updated == 1


@pytest.mark.parametrize(
    ("fields", "stock", "cutoff"),
    [
        ({"unlimited_stock": True, "stock": 5}, None, (None, None)),
        ({"unlimited_stock": False, "stock": "7"}, 7, (None, None)),
        ({"unlimited_stock": False, "stock": -3}, 0, (None, None)),
        ({"unlimited_stock": False, "stock": "many"}, None, (None, None)),
        ({"start_cut_off": "23:00", "end_cut_off": "01:00"}, None, (time(23), time(1))),
        ({"start_cut_off": "00:00", "end_cut_off": "00:00"}, None, (None, None)),
        ({"start_cut_off": "25:00", "end_cut_off": "01:00"}, None, (None, None)),
        ({"start_cut_off": "22:30"}, None, (None, None)),
    ],
)
def test_digiflazz_stock_and_cut_off_readings(fields, stock, cutoff):
    assert price_list_stock(fields) == stock
    assert price_list_cutoff(fields) == cutoff


def test_a_resync_keeps_every_mapping_and_makes_no_item(simulators, settings):
    settings.CATALOG_AUTO_MAP = True
    digiflazz, _ = simulators
    sync(digiflazz)
    mapping = dict(Product.objects.values_list("pk", "shop_item_id"))
    items = ShopItem.objects.count()

    sync(digiflazz)

    assert dict(Product.objects.values_list("pk", "shop_item_id")) == mapping
    assert ShopItem.objects.count() == items


def mapping_snapshot() -> list[tuple]:
    """Every product's SKU with what auto-map gave it (item name, face value, category,
    prices and the item's other routes), comparable between two runs."""
    rows = []
    for product in Product.objects.select_related("shop_item__category").order_by("provider_sku"):
        item = product.shop_item
        rows.append(
            (
                product.provider_sku,
                None
                if item is None
                else (
                    item.name,
                    item.face_value,
                    item.category.slug if item.category else None,
                    item.price_retail,
                    item.image_url,
                    tuple(sorted(item.routes.values_list("provider_sku", flat=True))),
                ),
            )
        )
    return rows


def test_the_orm_path_of_auto_map_maps_as_the_postgresql_statement_does(
    simulators, settings, monkeypatch
):
    """Other databases (SQLite, `make run`) make the new items through the ORM: same
    items, same links."""
    from catalog.services import mapping

    settings.CATALOG_AUTO_MAP = True
    digiflazz, vip = simulators
    sync(digiflazz)
    sync(vip)
    in_sql = mapping_snapshot()
    Product.objects.all().delete()
    ShopItem.objects.all().delete()
    Brand.objects.all().delete()
    monkeypatch.setattr(mapping, "_creates_in_one_statement", lambda: False)

    sync(digiflazz)
    sync(vip)

    assert mapping_snapshot() == in_sql
    assert any(len(row[1][-1]) == 2 for row in in_sql if row[1])
