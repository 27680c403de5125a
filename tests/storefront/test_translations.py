"""Bahasa Indonesia: every string of the catalog is translated (and compiled), status names
show translated on the pages, and buyers' e-mails are written in the language they ordered in."""

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from orders.models import Order, OrderStatus, PaymentMethod
from orders.services.refunds import order_fail_and_refund
from providers.base import ProviderResult, ProviderStatus
from shop.models import Notification
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import buy

PO_FILE = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"


def po_entries() -> list[dict]:
    """The entries of the .po file: flags, msgid (and plural), msgstr(s), in file order."""
    entries = []
    for block in PO_FILE.read_text(encoding="utf-8").split("\n\n"):
        entry = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#") or not line.strip():
                continue
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key, text = match.group(1), ast.literal_eval(match.group(2))
                if key.startswith("msgstr"):
                    entry["msgstr"].append(text)
                else:
                    entry[key] = text
            elif key is not None:  # a continuation line of the last key
                text = ast.literal_eval(line)
                if key.startswith("msgstr"):
                    entry["msgstr"][-1] += text
                else:
                    entry[key] += text
        if entry["msgid"]:  # skip the header (empty msgid)
            entries.append(entry)
    return entries


def test_every_string_of_the_indonesian_catalog_is_translated_and_not_fuzzy():
    entries = po_entries()

    assert len(entries) > 200  # the parser read the catalog
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"]) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalog_matches_the_po_file():
    """The committed .mo gives each msgid the .po's translation (a stale .mo fails)."""
    with translation.override("id"):
        stale = [
            e["msgid"]
            for e in po_entries()
            if e["msgid_plural"] is None and translation.gettext(e["msgid"]) != e["msgstr"][0]
        ]
    assert stale == []


@pytest.mark.django_db
def test_an_order_page_in_indonesian_shows_the_translated_status(client, guest_order):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    page = client.get(f"/orders/{guest_order.code}/?t={guest_order.access_token}")

    html = page.content.decode()
    assert page.status_code == 200
    assert '<p class="status" role="status">Menunggu pembayaran</p>' in html
    assert '<li class="">Berhasil</li>' in html  # the progress steps too
    assert "Pending payment" not in html


@pytest.mark.django_db
def test_the_order_history_in_indonesian_shows_translated_statuses(client, balance_order):
    client.force_login(balance_order.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"

    html = client.get("/account/orders/").content.decode()

    assert balance_order.status == OrderStatus.PENDING_PAYMENT
    assert "<td>Menunggu pembayaran</td>" in html


@pytest.mark.django_db
def test_a_buyer_who_ordered_in_indonesian_gets_the_e_mail_in_indonesian(
    client, settings, storefront, placement_deferred, django_capture_on_commit_callbacks
):
    _, ml5, _ = storefront
    buyer = make_user("budi", reseller=True)
    fund(buyer, Decimal("50000"))
    client.force_login(buyer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    buy(
        client,
        {
            "item": ml5.shop_item_id,
            "user_id": "12345678",
            "zone_id": "1234",
            "payment_method": PaymentMethod.BALANCE,
        },
    )
    order = Order.objects.get()
    assert order.language == "id"

    # the refund happens later, outside the buyer's request (English is active here)
    with django_capture_on_commit_callbacks(execute=True):
        order_fail_and_refund(
            order=order,
            reason="Ditolak oleh penyedia",
            failure=ProviderResult(ProviderStatus.FAILED),
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refund_note == "Dikembalikan ke dompet Anda: Rp 1.452."
    (email,) = mail.outbox
    assert email.subject == f"Pesanan Anda gagal dan dananya dikembalikan ({order.code})"
    assert "MOBILE LEGENDS 5 Diamond untuk 12345678-1234: Dikembalikan." in email.body
    assert "Harga: Rp 1.452" in email.body
    # the shop's reason in Indonesian; the provider's words stay with staff
    assert "Alasan: Pemasok tidak dapat menyelesaikan pesanan ini." in email.body
    assert "Ditolak oleh penyedia" not in email.body
    assert "Dikembalikan ke dompet Anda: Rp 1.452." in email.body
    assert f"Pesanan Anda: http://127.0.0.1:8000/orders/{order.code}/" in email.body
    assert Notification.objects.get(user=buyer).title == email.subject
