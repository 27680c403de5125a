"""Storefront and account pages run a bounded number of queries, whatever the catalog's or
the account's size: 10,000 products spread over 100 brands, or all in the brand shown.

The bounds are what the pages need today (session, user, wallet, unread count, the page's
own reads); a page that queries per product, order, row or voucher breaks them at once.
"""

from decimal import Decimal

import pytest

from orders.checkout import checkout_create
from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.models import Notification
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RETAIL, bulk_catalog

pytestmark = pytest.mark.django_db

PRODUCTS = 10_000


@pytest.fixture(params=["spread over 100 brands", "all in the brand shown"])
def big_catalog(request, storefront):
    """The storefront's Mobile Legends brand plus 10,000 products; a tenth out of stock."""
    brand, _, _ = storefront
    if request.param == "all in the brand shown":
        bulk_catalog(products=PRODUCTS, brands=0, into=brand)
    else:
        bulk_catalog(products=PRODUCTS, brands=100)
    return request.param


def signed_in_reseller(client):
    reseller = make_user("res", reseller=True)
    fund(reseller, Decimal("900000"))
    Notification.objects.create(user=reseller, title="Unread")
    client.force_login(reseller)
    return reseller


# (viewer, url, most queries): a guest's pages, then a signed-in reseller's (session, user,
# wallet balance and unread count on top). Home, search and a guest's brand page read the
# catalog version first (catalog.page_cache); here the catalog is this test's uncommitted
# data, so the cache is not used and the page's own reads follow (cached pages:
# tests/storefront/test_page_cache.py). A brand page reads the brand's shop items, then
# their routes with their providers (one query each), and its running flash sales on every
# view (one query: the panel is never cached).
CATALOG_PAGES = [
    ("guest", "/", 4),
    ("guest", "/brands/mobile-legends/", 5),
    ("guest", "/search/?q=item", 3),
    ("reseller", "/", 7),
    ("reseller", "/brands/mobile-legends/", 8),
    ("reseller", "/search/?q=item", 6),
]


def test_catalog_pages_with_10000_products_run_a_bounded_number_of_queries(
    client, big_catalog, django_assert_max_num_queries
):
    for viewer, url, most in CATALOG_PAGES:
        if viewer == "reseller" and "_auth_user_id" not in client.session:
            signed_in_reseller(client)

        with django_assert_max_num_queries(most):
            response = client.get(url)

        assert response.status_code == 200
        page = response.content.decode()
        if url == "/":
            assert 'href="/brands/mobile-legends/"' in page
            if big_catalog == "spread over 100 brands":
                assert 'href="/brands/bulk-brand-99/"' in page
        elif url.startswith("/brands/") and big_catalog == "all in the brand shown":
            # every item is on the page: the bound is not bought by leaving products out
            assert page.count('name="item"') == 1 + PRODUCTS * 9 // 10
            assert page.count('<span class="reason">') == 1 + PRODUCTS // 10
        elif url.startswith("/search/"):
            assert "Bulk item" in page


@pytest.fixture
def delivered_guest_order(storefront, placement_deferred, django_capture_on_commit_callbacks):
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
    vouchers = [VoucherData(serial=f"SN-{i}", pin=f"{i:04d}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=False):
        return order_apply_provider_update(
            order=order, result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=vouchers)
        )


@pytest.mark.parametrize(("part", "most"), [("", 3), ("status/", 3)])
def test_a_delivered_order_with_five_codes_runs_a_bounded_number_of_queries(
    client, delivered_guest_order, django_assert_max_num_queries, part, most
):
    order = delivered_guest_order
    url = f"/orders/{order.code}/{part}?t={order.access_token}"

    with django_assert_max_num_queries(most):
        response = client.get(url)

    assert response.content.decode().count("data-voucher-serial") == 5


def test_a_signed_in_buyers_pages_run_a_bounded_number_of_queries(
    client, storefront, placement_deferred, django_assert_max_num_queries
):
    """25 orders (history pages by 20), 40 notifications (by 30), 51 ledger rows (by 50)."""
    _, ml5, _ = storefront
    buyer = signed_in_reseller(client)
    orders = [
        checkout_create(
            purchase=Purchase(
                product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=buyer
            )
        )
        for _ in range(25)
    ]
    Notification.objects.bulk_create(
        Notification(user=buyer, title=f"Notice {i}") for i in range(39)
    )
    expected_rows = {  # url: (the markup of one row, rows shown, most queries)
        f"/orders/{orders[-1].code}/": ("data-status=", 1, 5),
        f"/orders/{orders[-1].code}/status/": ("data-status=", 1, 5),
        "/account/orders/": ('<tr class="status-', 20, 5),
        "/account/notifications/": ('<li class="level-', 30, 5),
        "/account/wallet/": ('<tr class="reason-', 26, 7),
    }

    for url, (row, count, most) in expected_rows.items():
        with django_assert_max_num_queries(most):
            response = client.get(url)
        assert response.content.decode().count(row) == count, url
