"""Who may open each storefront and account page.

Catalog and sign-in pages are public. Account pages send anonymous visitors to the login
page and change nothing. An order page (and its live status part) shows codes, so it opens
only for its buyer and for whoever holds a guest order's link; everyone else, staff too (they
read codes through the admin's audited reveal), gets 404, the same answer as for an order
that does not exist.
"""

from decimal import Decimal

import pytest

from orders.checkout import checkout_create
from orders.models import PaymentMethod
from orders.purchase import Purchase
from shop.models import Notification
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT
from wallets.models import Deposit

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/search/?q=legends",
    "/brands/mobile-legends/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
]


def make_staff(username: str = "staff"):
    user = make_user(username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def make_superuser(username: str = "root"):
    user = make_staff(username)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.mark.parametrize("url", PUBLIC_PAGES)
@pytest.mark.parametrize("viewer", ["anonymous", "customer", "reseller"])
def test_catalog_and_sign_in_pages_are_public(client, storefront, url, viewer):
    if viewer != "anonymous":
        client.force_login(make_user(viewer, reseller=viewer == "reseller"))

    response = client.get(url)

    if viewer != "anonymous" and url == "/accounts/signup/":
        assert response["Location"] == "/"  # signed in already: nothing to sign up for
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/account/orders/", {}),
        ("get", "/account/notifications/", {}),
        ("post", "/account/notifications/read/", {}),
        ("get", "/account/wallet/", {}),
        ("post", "/account/wallet/", {"action": "play_shan"}),
        ("post", "/account/wallet/deposit/", {"amount": "50000"}),
    ],
)
def test_account_pages_send_anonymous_visitors_to_log_in_and_change_nothing(
    client, method, url, data
):
    unread = Notification.objects.create(user=make_user("someone"), title="Unread")

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert not Deposit.objects.exists()
    unread.refresh_from_db()
    assert not unread.is_read


def test_checkout_takes_only_posts(client, storefront):
    assert client.get("/buy/mobile-legends/").status_code == 405


@pytest.fixture
def owner_order(storefront, placement_deferred):
    _, ml5, _ = storefront
    owner = make_user("owner")
    fund(owner, Decimal("5000"))
    return checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=owner
        )
    )


@pytest.fixture
def guest_order(storefront):
    _, ml5, _ = storefront
    return checkout_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )


def order_urls(order, query: str = "") -> list[str]:
    return [f"/orders/{order.code}/{query}", f"/orders/{order.code}/status/{query}"]


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("owner", 200),
        ("staff", 404),
        ("superuser", 404),
        ("other customer", 404),
        ("anonymous", 404),
    ],
)
def test_a_signed_in_buyers_order_opens_for_the_buyer_only(client, owner_order, viewer, status):
    if viewer == "owner":
        client.force_login(owner_order.user)
    elif viewer == "staff":
        client.force_login(make_staff())
    elif viewer == "superuser":
        client.force_login(make_superuser())
    elif viewer == "other customer":
        client.force_login(make_user("other"))

    for url in order_urls(owner_order):
        response = client.get(url)
        assert response.status_code == status, url
        assert (owner_order.code in response.content.decode()) == (status == 200)


@pytest.mark.parametrize(
    ("viewer", "token", "status"),
    [
        ("anonymous", "link", 200),
        ("other customer", "link", 200),  # the link is what grants access, as in the e-mail
        ("staff", "link", 200),  # holding the link, as anyone may
        ("staff", "", 404),
        ("superuser", "", 404),
        ("anonymous", "", 404),
        ("anonymous", "wrong", 404),
        ("other customer", "", 404),
    ],
)
def test_a_guest_order_opens_with_its_link_only(client, guest_order, viewer, token, status):
    if viewer == "staff":
        client.force_login(make_staff())
    elif viewer == "superuser":
        client.force_login(make_superuser())
    elif viewer == "other customer":
        client.force_login(make_user("other"))
    query = {"link": f"?t={guest_order.access_token}", "wrong": "?t=" + "x" * 43, "": ""}[token]

    for url in order_urls(guest_order, query):
        assert client.get(url).status_code == status, url


def test_an_unknown_order_is_the_same_404(client, storefront):
    client.force_login(make_staff())

    for url in ("/orders/TRX-NOPE/", "/orders/TRX-NOPE/status/"):
        assert client.get(url).status_code == 404


def test_account_pages_show_only_the_signed_in_users_own_rows(
    client, owner_order, placement_deferred
):
    other = make_user("other")
    fund(other, Decimal("777"))
    Notification.objects.create(user=owner_order.user, title="For the owner")
    client.force_login(other)

    wallet = client.get("/account/wallet/").content.decode()
    orders = client.get("/account/orders/").content.decode()
    notifications = client.get("/account/notifications/").content.decode()

    assert "Rp 777" in wallet
    assert owner_order.code not in wallet
    assert owner_order.code not in orders
    assert "For the owner" not in notifications
