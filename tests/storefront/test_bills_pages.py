"""The Bills section with Django's test client, the Digiflazz simulator behind it: the bill
and every part of its price shown before paying, paid once, the receipt."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from tests.orders.fixtures import balance_of, fund, make_user
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_nav_links_the_bills_page_in_both_languages(client, bill_products):
    page = client.get(reverse("orders:bills"))
    assert page.status_code == 200
    assert 'data-nav="bills"' in page.content.decode()
    assert "PLN Pascabayar" in page.content.decode()

    client.post(reverse("set_language"), {"language": "id"})
    assert "Bayar tagihan" in client.get(reverse("orders:bills")).content.decode()


def test_a_customer_sees_every_amount_then_pays_from_the_wallet(client, simulator, bill_products):
    buyer = make_user("bill-buyer")
    fund(buyer, Decimal("1000000"))
    client.force_login(buyer)

    inquiry = client.post(
        reverse("orders:bill-inquiry"),
        {"product": bill_products["pln"].pk, "customer_no": "5300 0000 0002"},
    )
    order = Order.objects.get()
    assert inquiry.status_code == 302
    assert inquiry.url == reverse("orders:detail", args=[order.code])

    page = text_of(client.get(inquiry.url))
    assert "PELANGGAN SIMULASI 0002" in page
    assert page.count("data-bill-period") == 3
    for field in ("data-bill-amount", "data-bill-admin-fee", "data-bill-service-fee"):
        assert field in page
    assert "Rp 1,500" in page  # our fee
    assert "Rp 7,500" in page  # the biller's admin fee: three periods
    assert f"Pay Rp {order.price:,.0f}" in page

    paid = client.post(reverse("orders:bill-pay", args=[order.code]), {"payment_method": "balance"})
    again = client.post(
        reverse("orders:bill-pay", args=[order.code]), {"payment_method": "balance"}
    )
    order.refresh_from_db()

    assert paid.status_code == again.status_code == 302
    assert order.status == OrderStatus.SUCCESS
    assert balance_of(buyer) == Decimal("1000000") - order.price
    receipt = text_of(client.get(reverse("orders:detail", args=[order.code])))
    assert "Receipt" in receipt
    assert "data-bill-reference" in receipt
    assert "data-print" in receipt
    assert ledger_check().ok


def test_a_guest_pays_through_the_gateway(client, simulator, bill_products):
    response = client.post(
        reverse("orders:bill-inquiry"),
        {"product": bill_products["bpjs"].pk, "customer_no": "530000000001", "email": "g@x.id"},
    )
    order = Order.objects.get()
    assert response.url.endswith(f"?t={order.access_token}")

    client.post(
        reverse("orders:bill-pay", args=[order.code]),
        {"payment_method": "gateway", "t": order.access_token},
    )
    order.refresh_from_db()

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.payment_instructions


@pytest.mark.parametrize(
    ("number", "message"),
    [("530000000004", "no bill to pay"), ("12", "customer number")],
)
def test_no_bill_is_said_on_the_form(client, simulator, bill_products, number, message):
    client.force_login(make_user("bill-buyer"))
    response = client.post(
        reverse("orders:bill-inquiry"), {"product": bill_products["pdam"].pk, "customer_no": number}
    )

    assert response.status_code == 400
    assert message in text_of(response)
    assert not Order.objects.exists()


def test_someone_else_cannot_pay_or_see_a_bill(client, simulator, bill_products):
    owner = make_user("owner")
    client.force_login(owner)
    client.post(
        reverse("orders:bill-inquiry"),
        {"product": bill_products["halo"].pk, "customer_no": "530000000001"},
    )
    order = Order.objects.get()
    client.force_login(make_user("stranger"))

    assert client.get(reverse("orders:detail", args=[order.code])).status_code == 404
    client.post(reverse("orders:bill-pay", args=[order.code]), {"payment_method": "gateway"})
    assert Order.objects.get().status == OrderStatus.INQUIRED


def test_bill_types_are_sold_on_the_bills_page_not_as_brands_on_home_or_search(
    client, bill_products
):
    bill_brands = {product.brand.slug for product in bill_products.values()}

    home = client.get(reverse("home")).content.decode()
    found = client.get(reverse("search"), {"q": "PLN"}).content.decode()

    assert bill_brands
    for slug in bill_brands:
        assert f"/brands/{slug}/" not in home
        assert f"/brands/{slug}/" not in found
