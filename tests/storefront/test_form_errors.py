"""The checkout form names every bad field in one answer, and a gift card's recipient gets
the card by e-mail."""

from decimal import Decimal

import pytest
from django.core import mail

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.models import Order, PaymentMethod
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from providers.defaults import provider_ensure
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import buy

pytestmark = pytest.mark.django_db


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


def test_a_bad_e_mail_and_bad_account_fields_are_all_named_in_one_answer(client, storefront):
    _, ml5, _ = storefront

    response = buy(
        client, guest_form(ml5, buyer_email="not-an-email", user_id="12ab", zone_id="123456789")
    )

    errors = response.context["form"].errors
    assert response.status_code == 400
    assert errors["buyer_email"] == ["Enter a valid email address."]
    assert errors["user_id"] == ["User ID must contain digits only."]
    assert errors["zone_id"] == ["Zone ID must be 1 to 8 digits long."]
    assert not Order.objects.exists()


@pytest.fixture
def phone_brand(storefront):
    brand = BrandFactory(name="Telkomsel", slug="telkomsel", input_schema=InputSchema.PHONE)
    product = ProductFactory(
        provider=provider_ensure("digiflazz"),
        provider_sku="TSEL10",
        brand=brand,
        name="Telkomsel 10.000",
        cost=Decimal("10250"),
    )
    catalog_reprice_all()
    return product


def test_a_bad_e_mail_no_longer_hides_a_bad_phone_number(client, phone_brand):
    form = {
        "item": phone_brand.shop_item_id,
        "phone": "0712 3456 7890",
        "buyer_email": "guest@",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
    }

    response = buy(client, form, slug="telkomsel")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in html
    assert "Enter an Indonesian mobile number starting with 08, +628 or 628." in html
    assert not Order.objects.exists()


def test_the_indonesian_page_names_both_errors_in_indonesian(client, phone_brand):
    client.cookies["django_language"] = "id"
    form = {
        "item": phone_brand.shop_item_id,
        "phone": "0812abc",
        "buyer_email": "guest@",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
    }

    response = buy(client, form, slug="telkomsel")

    errors = response.context["form"].errors
    assert errors["phone"] == ["Nomor HP hanya boleh berisi angka."]
    assert errors["buyer_email"] == ["Masukkan alamat email dengan format yang benar."]


@pytest.fixture
def gift_card(storefront):
    brand = BrandFactory(name="Play Gift", slug="play-gift", input_schema=InputSchema.EMAIL)
    product = ProductFactory(
        provider=provider_ensure("digiflazz"),
        provider_sku="GIFT50",
        brand=brand,
        name="Play Gift 50.000",
        cost=Decimal("50000"),
    )
    catalog_reprice_all()
    return product


def test_the_gift_card_form_asks_for_the_recipients_address_and_says_what_goes_where(
    client, gift_card
):
    html = client.get("/brands/play-gift/").content.decode()

    assert "Recipient&#x27;s e-mail" in html
    assert "We e-mail the gift card to this address" in html
    assert "Your e-mail" in html
    assert "Your account" not in html  # a gift card is not for the buyer's own account


def deliver(order: Order, django_capture_on_commit_callbacks) -> Order:
    result = ProviderResult(
        ProviderStatus.SUCCESS, vouchers=[VoucherData(code="GIFT-CODE-1234", pin="9876")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        return order_apply_provider_update(order=order, result=result)


def buy_gift_card_from_wallet(client, gift_card, *, buyer: str, to: str) -> None:
    """A signed-in reseller with money in the wallet buys the gift card for `to`."""
    user = make_user(buyer, reseller=True)
    fund(user, Decimal("100000"))
    client.force_login(user)
    buy(
        client,
        {"item": gift_card.shop_item_id, "email": to, "payment_method": PaymentMethod.BALANCE},
        slug="play-gift",
    )


def test_the_recipient_gets_the_gift_card_by_e_mail_and_the_buyer_a_copy(
    client, gift_card, placement_deferred, django_capture_on_commit_callbacks
):
    buy_gift_card_from_wallet(client, gift_card, buyer="giver", to="friend@example.com")
    order = Order.objects.get()

    deliver(order, django_capture_on_commit_callbacks)

    by_recipient = {email.to[0]: email for email in mail.outbox}
    assert sorted(by_recipient) == ["friend@example.com", "giver@example.com"]
    gift = by_recipient["friend@example.com"]
    assert "GIFT-CODE-1234" in gift.body
    assert "9876" in gift.body
    assert "giver" in gift.subject or "gift card" in gift.subject.lower()
    assert "GIFT-CODE-1234" in by_recipient["giver@example.com"].body


def test_a_gift_card_sent_to_the_buyers_own_address_is_e_mailed_once(
    client, gift_card, placement_deferred, django_capture_on_commit_callbacks
):
    buy_gift_card_from_wallet(client, gift_card, buyer="self", to="SELF@example.com")

    deliver(Order.objects.get(), django_capture_on_commit_callbacks)

    assert [email.to for email in mail.outbox] == [["self@example.com"]]


def test_the_recipient_is_not_told_of_a_failed_gift(
    client, gift_card, placement_deferred, django_capture_on_commit_callbacks
):
    buy_gift_card_from_wallet(client, gift_card, buyer="unlucky", to="friend@example.com")
    result = ProviderResult(ProviderStatus.FAILED, message="Gagal")

    with django_capture_on_commit_callbacks(execute=True):
        order_apply_provider_update(order=Order.objects.get(), result=result)

    assert [email.to for email in mail.outbox] == [["unlucky@example.com"]]


def test_a_gift_card_bought_over_the_reseller_api_is_not_e_mailed_to_the_recipient(
    gift_card, placement_deferred, django_capture_on_commit_callbacks
):
    """The reseller delivers to its own customers: the shop does not write to them."""
    from orders.purchase import Purchase
    from orders.services.creation import order_create_paid_from_wallet
    from resellers.models import ApiOrder

    reseller = make_user("api-seller", reseller=True)
    fund(reseller, Decimal("100000"))
    order = order_create_paid_from_wallet(
        purchase=Purchase(
            product=gift_card,
            customer_data={"email": "their-customer@example.com"},
            payment_method="balance",
            user=reseller,
        )
    )
    ApiOrder.objects.create(user=reseller, ref_id="R-1", fingerprint="f", order=order)

    deliver(order, django_capture_on_commit_callbacks)

    assert [email.to for email in mail.outbox] == [["api-seller@example.com"]]
