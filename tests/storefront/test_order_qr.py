"""A gateway that answers with only a `qr_string` (Tripay's QRIS): the order page draws the
QR code itself, as inline SVG, and keeps it after a refresh."""

import re

import pytest
import segno

from accounts.templatetags.storefront import qr_svg
from orders.checkout import order_attach_payment
from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.base import PaymentInstructions
from tests.storefront.support import GAME_ZONE_INPUT

pytestmark = pytest.mark.django_db

QR = "00020101021226610016ID.CO.SIMULATOR0118T0001234567890125303360540414955802ID6304ABCD"


@pytest.fixture
def qris_order(storefront):
    _, ml5, _ = storefront
    order = order_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )
    return order_attach_payment(
        order=order,
        instructions=PaymentInstructions(reference="T0001234567890", qr_string=QR),
        channel="QRIS",
    )


def order_page(client, order, language: str = "en") -> str:
    client.cookies["django_language"] = language
    return client.get(f"/orders/{order.code}/", {"t": order.access_token}).content.decode()


def test_a_qr_string_alone_is_drawn_on_the_page_as_svg(client, qris_order):
    page = order_page(client, qris_order)

    figure = re.search(r'<figure class="qr" data-qr>(<svg .*?</svg>)', page, re.S)
    assert figure is not None
    svg = figure.group(1)
    assert svg == qr_svg(QR)  # the code of this very string
    assert svg != qr_svg(QR.replace("1495", "9999"))
    # a full QR code (not Micro QR) of that data, drawn with a white quiet zone
    code = segno.make_qr(QR, error="m")
    size = (code.symbol_size(scale=5, border=4))[0]
    assert f'viewBox="0 0 {size} {size}"' in svg
    assert "<title>QR code to scan with your banking or e-wallet app</title>" in svg
    assert "<img" not in page.split('<div class="pay">', 1)[1].split("</div>", 1)[0]
    assert QR in page  # the data itself stays readable for copying
    assert svg in order_page(client, qris_order)  # the same after a refresh


def test_the_qr_title_is_translated(client, qris_order):
    page = order_page(client, qris_order, "id")

    assert "<title>Kode QR untuk dipindai" in page


def test_a_qr_url_keeps_the_gateways_image(client, storefront, qris_order):
    qris_order.payment_instructions["qr_url"] = "https://tripay.example/qr/T0001234567890"
    qris_order.save(update_fields=["payment_instructions"])

    page = order_page(client, qris_order)

    assert '<img class="qr" src="https://tripay.example/qr/T0001234567890"' in page
    assert "data-qr" not in page
