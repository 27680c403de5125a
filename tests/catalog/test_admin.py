from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import (
    Brand,
    Category,
    InputSchema,
    PriceChange,
    PricingRule,
    Product,
    Provider,
    ShopItem,
    SyncRun,
)
from catalog.services import catalog_reprice_product
from shop.models import PriceTier
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory

pytestmark = pytest.mark.django_db

MODELS = [Provider, Category, Brand, Product, ShopItem, PricingRule, PriceChange, SyncRun]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:catalog_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def catalog_with_history():
    """One row of every catalog model, so the changelists render real rows."""
    product = ProductFactory()
    PricingRuleFactory(percent=Decimal("10"))
    PricingRuleFactory(brand=product.brand, tier=PriceTier.RESELLER)
    catalog_reprice_product(product=product, reason="test")
    SyncRun.objects.create(provider=product.provider, status=SyncRun.Status.SUCCESS, created=1)
    return product


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_catalog_changelist_loads(admin_client, catalog_with_history, model):
    response = admin_client.get(_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_catalog_changelist_searches(admin_client, catalog_with_history, model):
    assert admin_client.get(_url(model, "changelist"), {"q": "x"}).status_code == 200


def test_the_product_page_shows_stored_prices_read_only(admin_client, catalog_with_history):
    response = admin_client.get(_url(Product, "change", catalog_with_history.pk))

    assert response.status_code == 200
    form_fields = response.context["adminform"].form.fields
    for field in ("price_retail", "price_reseller", "unavailable_reason", "last_synced_at"):
        assert field not in form_fields
    assert "cost" in form_fields


@pytest.mark.parametrize("model", [PriceChange, SyncRun], ids=lambda model: model.__name__)
def test_history_cannot_be_added_changed_or_deleted(admin_client, catalog_with_history, model):
    row = model.objects.first()

    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "add"), {}).status_code == 403
    assert admin_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    change_page = admin_client.get(_url(model, "change", row.pk))
    assert change_page.status_code == 200
    assert not change_page.context["has_change_permission"]


def test_the_reprice_action_stores_prices_of_the_selected_products(admin_client):
    PricingRuleFactory(percent=Decimal("10"))
    selected, not_selected = ProductFactory(), ProductFactory()

    response = admin_client.post(
        _url(Product, "changelist"),
        {"action": "reprice_selected", "_selected_action": [selected.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Repriced 1 product(s)." in response.content.decode()
    selected.refresh_from_db()
    not_selected.refresh_from_db()
    assert selected.price_retail == Decimal("11000.00")
    assert not_selected.price_retail is None


def test_saving_a_pricing_rule_reprices_the_catalog(
    admin_client, django_capture_on_commit_callbacks
):
    product = ProductFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _url(PricingRule, "add"),
            {
                "scope": "brand",
                "tier": PriceTier.RETAIL,
                "brand": product.brand.pk,
                "percent": "5",
                "flat_amount": "0",
                "min_margin": "0",
                "rounding_step": "100",
                "active": "on",
            },
        )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price_retail == Decimal("10500.00")
    change = PriceChange.objects.get(product=product)
    assert change.reason.startswith(f"pricing rule #{PricingRule.objects.get().pk} saved")


def test_deleting_a_pricing_rule_reprices_the_catalog(
    admin_client, django_capture_on_commit_callbacks
):
    rule = PricingRuleFactory(percent=Decimal("10"))
    product = ProductFactory()
    catalog_reprice_product(product=product)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_url(PricingRule, "delete", rule.pk), {"post": "yes"})

    product.refresh_from_db()
    assert product.price_retail is None
    assert product.unavailable_reason == "no pricing rule for retail"


def test_changing_a_providers_exchange_rate_reprices_its_products(
    admin_client, django_capture_on_commit_callbacks
):
    PricingRuleFactory()
    product = ProductFactory(cost=Decimal("1.50"))
    catalog_reprice_product(product=product)
    provider = product.provider

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _url(Provider, "change", provider.pk),
            {
                "code": provider.code,
                "name": provider.name,
                "kind": provider.kind,
                "enabled": "on",
                "currency": "USD",
                "exchange_rate": "16000",
                "low_balance_threshold": "0",
            },
        )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.price_retail == Decimal("24000.00")


def test_deactivating_a_product_in_the_admin_takes_it_off_sale(
    admin_client, django_capture_on_commit_callbacks
):
    PricingRuleFactory()
    product = ProductFactory()
    catalog_reprice_product(product=product)
    form = {
        "provider": product.provider.pk,
        "provider_sku": product.provider_sku,
        "brand": product.brand.pk,
        "category": product.category.pk,
        "name": product.name,
        "cost": "10000",
        "cost_currency": "IDR",
        "denomination_type": "fixed",
        "provider_active": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url(Product, "change", product.pk), form)

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.admin_active, product.price_retail) == (False, None)
    assert product.unavailable_reason == "deactivated by an admin"


@pytest.fixture
def priced_by_category():
    """A product without a category of its own, priced by its brand's category rule (20%)
    over the global rule (10%)."""
    PricingRuleFactory(percent=Decimal("10"))
    product = ProductFactory(cost=Decimal("1000"), category=None)
    PricingRuleFactory(category=product.brand.category, percent=Decimal("20"))
    catalog_reprice_product(product=product)
    assert product.price_retail == Decimal("1200.00")
    return product


def test_moving_a_brand_to_another_category_reprices_its_products(
    admin_client, django_capture_on_commit_callbacks, priced_by_category
):
    brand = priced_by_category.brand
    other = Category.objects.create(name="Other", slug="other")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _url(Brand, "change", brand.pk),
            {
                "name": brand.name,
                "slug": brand.slug,
                "category": other.pk,
                "input_schema": brand.input_schema,
                "instructions": "",
                "image_url": "",
                "description": "",
                "sort_order": "0",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    priced_by_category.refresh_from_db()
    assert priced_by_category.price_retail == Decimal("1100.00")  # the global rule now


def test_deleting_a_category_reprices_what_its_rule_priced(
    admin_client, django_capture_on_commit_callbacks, priced_by_category
):
    category = priced_by_category.brand.category

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_url(Category, "delete", category.pk), {"post": "yes"})

    priced_by_category.refresh_from_db()
    assert priced_by_category.price_retail == Decimal("1100.00")


def test_a_brand_image_address_typed_without_a_scheme_is_https(admin_client, priced_by_category):
    brand = priced_by_category.brand

    response = admin_client.post(
        _url(Brand, "change", brand.pk),
        {
            "name": brand.name,
            "slug": brand.slug,
            "category": brand.category.pk,
            "input_schema": brand.input_schema,
            "instructions": "",
            "image_url": "cdn.example.com/ml.png",
            "description": "",
            "sort_order": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    brand.refresh_from_db()
    assert brand.image_url == "https://cdn.example.com/ml.png"


def test_staff_set_whether_a_brand_requires_a_confirmed_account(admin_client):
    brand = BrandFactory(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    page = admin_client.get(_url(Brand, "change", brand.pk)).content.decode()
    assert 'name="requires_confirmed_account"' in page

    response = admin_client.post(
        _url(Brand, "change", brand.pk),
        {
            "name": "PLN",
            "slug": "pln",
            "input_schema": InputSchema.PLN,
            "requires_confirmed_account": "on",
        },
    )

    assert response.status_code == 302
    brand.refresh_from_db()
    assert brand.requires_confirmed_account
