"""Buyers read the shop's own words in their language; the provider's words are for staff.

A provider writes its notes and failure reasons in Indonesian ("Masukkan User ID & Zone
ID...", "Transaksi Gagal"); English pages show the shop's English text instead, Indonesian
pages the shop's Indonesian text, and staff still see the provider's words in the admin.
Dates carry the language's format and the time zone; money is grouped for the language.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import translation

from orders.checkout import checkout_create
from orders.models import FailureKind, PaymentMethod
from orders.purchase import Purchase
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.digiflazz.adapter import result_from_transaction
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RETAIL

pytestmark = pytest.mark.django_db

PROVIDER_NOTE = "Masukkan User ID & Zone ID, contoh 12345678-1234\nProses 1-3 menit"


def page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Work done outside a request (orders made here, then e-mails) runs in English; a
    request of an earlier test may have left another language active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def brand_with_provider_note(storefront):
    brand, _, _ = storefront
    brand.description = PROVIDER_NOTE  # as a catalog sync fills it from Digiflazz's `desc`
    brand.instructions = ""
    brand.save()
    return brand


def test_the_english_brand_page_shows_the_shops_instructions_not_the_providers_note(
    client, brand_with_provider_note
):
    html = page(client, "/brands/mobile-legends/", "en")

    assert "Masukkan" not in html
    assert "Proses 1-3" not in html
    assert "Enter your User ID and Zone ID" in html


def test_the_indonesian_brand_page_shows_the_shops_indonesian_instructions(
    client, brand_with_provider_note
):
    html = page(client, "/brands/mobile-legends/", "id")

    assert "Masukkan User ID dan Zone ID" in html
    assert "contoh 12345678-1234" not in html  # the shop's text, not the provider's note


def test_a_brands_own_instructions_show_in_the_language_they_were_written_for(
    client, brand_with_provider_note
):
    brand = brand_with_provider_note
    brand.instructions = "Tap your avatar to see both numbers."
    brand.instructions_id = "Ketuk avatar Anda untuk melihat kedua nomor."
    brand.save()

    english = page(client, "/brands/mobile-legends/", "en")
    indonesian = page(client, "/brands/mobile-legends/", "id")

    assert "Tap your avatar to see both numbers." in english
    assert "Ketuk avatar" not in english
    assert "Ketuk avatar Anda untuk melihat kedua nomor." in indonesian
    assert "Tap your avatar" not in indonesian


@pytest.fixture
def failed_guest_order(storefront, placement_deferred, django_capture_on_commit_callbacks):
    """A guest's order that Digiflazz refused with its own words (rc 54, wrong number)."""
    _, ml5, _ = storefront
    order = checkout_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )
    order = order_mark_paid(order=order, amount=ML5_RETAIL)
    reply = {"ref_id": order.code, "status": "Gagal", "rc": "54", "message": "Transaksi Gagal"}
    with django_capture_on_commit_callbacks(execute=True):
        return order_apply_provider_update(order=order, result=result_from_transaction(reply))


def order_url(order) -> str:
    return f"/orders/{order.code}/?t={order.access_token}"


def test_the_english_order_page_shows_the_shops_failure_message_not_the_providers(
    client, failed_guest_order
):
    html = page(client, order_url(failed_guest_order), "en")

    assert failed_guest_order.failure_kind == FailureKind.ACCOUNT
    assert "Transaksi Gagal" not in html
    assert "The supplier did not accept the account details" in html


def test_the_indonesian_order_page_shows_the_failure_in_indonesian(client, failed_guest_order):
    html = page(client, order_url(failed_guest_order), "id")

    assert "Transaksi Gagal" not in html
    assert "Pemasok tidak menerima data akun" in html


def test_the_buyers_e_mail_gives_the_shops_reason_not_the_providers(failed_guest_order):
    (email,) = mail.outbox

    assert "Transaksi Gagal" not in email.body
    assert "Reason: The supplier did not accept the account details" in email.body


def test_staff_still_see_the_providers_words_in_the_admin(client, failed_guest_order):
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(staff)

    html = page(client, f"/admin/orders/order/{failed_guest_order.pk}/change/", "en")

    assert failed_guest_order.failure_reason == "Transaksi Gagal"
    assert "Transaksi Gagal" in html


@pytest.mark.parametrize(
    ("rc", "words", "kind", "english"),
    [
        ("55", "Produk sedang gangguan", FailureKind.UNAVAILABLE, "not available from"),
        ("44", "Saldo tidak cukup", FailureKind.UNAVAILABLE, "not available from"),
        ("02", "Transaksi Gagal", FailureKind.SUPPLIER, "The supplier could not complete"),
    ],
)
def test_the_buyers_message_is_chosen_by_the_kind_of_failure(
    client, storefront, placement_deferred, rc, words, kind, english
):
    _, ml5, _ = storefront
    order = checkout_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )
    order = order_mark_paid(order=order, amount=ML5_RETAIL)
    reply = {"ref_id": order.code, "status": "Gagal", "rc": rc, "message": words}

    order = order_apply_provider_update(order=order, result=result_from_transaction(reply))

    html = page(client, order_url(order), "en")
    assert order.failure_kind == kind
    assert order.failure_reason == words
    assert english in html
    assert words not in html


# 2026-12-07 01:42 UTC is 08:42 in Jakarta (WIB, UTC+7).
ORDERED_AT = datetime(2026, 12, 7, 1, 42, tzinfo=UTC)


@pytest.fixture
def order_of_19700(storefront, placement_deferred):
    _, ml5, _ = storefront
    with time_machine.travel(ORDERED_AT, tick=False):
        order = checkout_create(
            purchase=Purchase(
                product=ml5,
                customer_data=GAME_ZONE_INPUT,
                payment_method=PaymentMethod.GATEWAY,
                guest_email="guest@example.com",
            )
        )
    type(order).objects.filter(pk=order.pk).update(price=Decimal("19700"))
    order.refresh_from_db()
    return order


@pytest.mark.parametrize(
    ("language", "ordered", "price"),
    [
        ("en", "7 Dec 2026, 08:42 WIB", "Rp 19,700"),
        ("id", "7 Des 2026 08.42 WIB", "Rp 19.700"),
    ],
)
def test_dates_and_money_are_written_for_the_language(
    client, order_of_19700, language, ordered, price
):
    html = page(client, order_url(order_of_19700), language)

    assert f"<dd>{ordered}</dd>" in html
    assert f"<dd data-order-price>{price}</dd>" in html
    assert "a.m." not in html
    assert "12/07/2026" not in html


def test_an_order_staff_fail_tells_the_buyer_so_in_the_shops_words(client, storefront):
    from ops.services import ops_order_fail_and_refund

    _, ml5, _ = storefront
    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw")
    order = checkout_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )
    type(order).objects.filter(pk=order.pk).update(status="processing")

    order = ops_order_fail_and_refund(order=order, actor=staff, reason="Duplicate, per phone call")

    html = page(client, order_url(order), "id")
    assert order.failure_kind == FailureKind.STAFF
    assert order.failure_reason == "Duplicate, per phone call (staff)"
    assert "Staf kami membatalkan pesanan ini." in html
    assert "Duplicate" not in html
