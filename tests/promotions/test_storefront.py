"""The promo code at the storefront checkout (price shown before paying, refusals as form
errors in both languages) and the flash sale panel of the brand page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from orders.models import Order, OrderStatus, PaymentMethod
from promotions.models import PromoCode, PromotionUse
from tests.orders.fixtures import balance_of, fund, make_user
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory
from tests.storefront.support import ML5_RETAIL, buy, checkout_token

pytestmark = pytest.mark.django_db

URL = "/buy/mobile-legends/"


def guest_form(item, **overrides) -> dict:
    return {
        "item": item.shop_item_id,
        "user_id": "12345678",
        "zone_id": "1234",
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
        **overrides,
    }


def apply_code(client, item, code: str):
    return client.post(
        URL,
        {
            "checkout_token": checkout_token(client),
            "apply_promo": "1",
            **guest_form(item),
            "promo_code": code,
        },
    )


def test_apply_shows_the_price_with_the_code_and_creates_nothing(client, storefront):
    _, ml5, _ = storefront
    PromoCodeFactory(code="HEMAT", value=Decimal("50"))

    page = apply_code(client, ml5, "hemat")

    assert page.status_code == 200
    html = page.content.decode()
    assert "with this code: <strong>Rp 1,445</strong> instead of <s>Rp 1,495</s>" in html
    assert 'value="hemat"' in html  # what was typed stays
    assert 'value="12345678"' in html
    assert not Order.objects.exists()
    assert PromoCode.objects.get().used == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This promo code has expired."),
        ("id", "Kode promo ini sudah kedaluwarsa."),
    ],
)
def test_apply_says_why_a_code_is_refused_in_the_buyers_language(
    client, storefront, language, message
):
    _, ml5, _ = storefront
    now = timezone.now()
    PromoCodeFactory(
        code="LAMA", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1)
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = apply_code(client, ml5, "LAMA")

    assert message in page.content.decode()


def test_buying_with_a_code_charges_the_discounted_price_and_holds_a_use(client, storefront):
    _, ml5, _ = storefront
    PromoCodeFactory(code="HEMAT", value=Decimal("50"), total_limit=1)

    response = buy(client, guest_form(ml5, promo_code="HEMAT"))

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.price == ML5_RETAIL - 50
    assert PromotionUse.objects.get().order_id == order.pk
    assert PromoCode.objects.get().used == 1


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This promo code is not for this item."),
        ("id", "Kode promo ini tidak berlaku untuk item ini."),
    ],
)
def test_a_refused_code_is_a_form_error_on_its_field_and_nothing_is_created(
    client, storefront, language, message
):
    _, ml5, _ = storefront
    PromoCodeFactory(code="LAIN", scope="brand", brand=_other_brand())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = buy(client, guest_form(ml5, promo_code="LAIN"))

    assert response.status_code == 400
    form = response.context["page"]
    html = response.content.decode()
    assert message in html
    assert 'class="field has-errors"' in html  # shown next to the promo code field
    assert form.has_offers
    assert not Order.objects.exists()


def _other_brand():
    from tests.catalog.factories import BrandFactory

    return BrandFactory()


def test_a_wallet_buyer_pays_the_discounted_price(client, storefront, placement_deferred):
    _, ml5, _ = storefront
    PromoCodeFactory(code="HEMAT", value=Decimal("50"))
    buyer = make_user("buyer")
    fund(buyer, Decimal("10000"))
    client.force_login(buyer)

    buy(client, guest_form(ml5, payment_method="balance", buyer_email="", promo_code="HEMAT"))

    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert balance_of(buyer) == Decimal("10000") - (ML5_RETAIL - 50)


def test_the_brand_page_shows_a_running_flash_sale_with_its_countdown_and_stock(client, storefront):
    _, ml5, _ = storefront
    FlashSaleFactory(item=ml5.shop_item, price=Decimal("1450"), stock=7)

    html = client.get("/brands/mobile-legends/").content.decode()

    assert "Flash sale" in html
    assert "Rp 1,450" in html
    assert "7 left" in html
    assert "data-countdown" in html


def test_the_flash_panel_is_fresh_on_a_cached_guest_page(client, storefront):
    _, ml5, _ = storefront
    client.get("/brands/mobile-legends/")  # the guest page is cached now
    sale = FlashSaleFactory(item=ml5.shop_item, price=Decimal("1450"), stock=7)

    assert "7 left" in client.get("/brands/mobile-legends/").content.decode()

    type(sale).objects.filter(pk=sale.pk).update(paused=True)
    assert "Flash sale" not in client.get("/brands/mobile-legends/").content.decode()


def test_a_guest_buys_at_the_flash_price(client, storefront):
    _, ml5, _ = storefront
    sale = FlashSaleFactory(item=ml5.shop_item, price=Decimal("1450"), stock=1)

    buy(client, guest_form(ml5))
    buy(client, guest_form(ml5))

    first, second = Order.objects.order_by("pk")
    assert (first.price, second.price) == (Decimal("1450"), ML5_RETAIL)
    sale.refresh_from_db()
    assert sale.sold == 1
