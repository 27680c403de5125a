import re
from decimal import Decimal

import pytest
from django.core import mail

from orders.checkout import checkout_create
from orders.purchase import Purchase
from providers.models import SimulatedOrder
from shop.models import Notification, User
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT
from wallets.models import Deposit, DepositStatus

pytestmark = pytest.mark.django_db


def test_signing_up_creates_a_customer_and_logs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "sari",
            "email": "sari@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="sari")
    assert user.role == "customer"
    assert user.price_tier == "retail"
    assert client.get("/account/orders/").status_code == 200


def test_a_bad_signup_shows_errors_and_creates_nobody(client):
    make_user("taken")

    response = client.post(
        "/accounts/signup/",
        {"username": "x", "email": "taken@example.com", "password1": "a", "password2": "b"},
    )

    assert response.status_code == 400
    assert "An account with this e-mail already exists." in response.content.decode()
    assert not User.objects.filter(username="x").exists()


def test_password_reset_by_email(client):
    user = make_user("rina")
    user.set_password("old-password-1")
    user.save()

    client.post("/accounts/password-reset/", {"email": "rina@example.com"})

    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session
    response = client.post(
        form_url, {"new_password1": "brand-new-pass-42", "new_password2": "brand-new-pass-42"}
    )
    assert response["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-42")


def test_order_history_lists_only_mine_and_filters(client, storefront, placement_deferred):
    _, ml5, _ = storefront
    me, other = make_user("me"), make_user("other")
    for user in (me, other):
        fund(user, Decimal("5000"))
    mine = checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=me
        )
    )
    theirs = checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=other
        )
    )
    client.force_login(me)

    page = client.get("/account/orders/").content.decode()
    assert mine.code in page
    assert theirs.code not in page
    assert mine.code in client.get("/account/orders/", {"status": "paid"}).content.decode()
    assert mine.code not in client.get("/account/orders/", {"status": "success"}).content.decode()
    assert mine.code in client.get("/account/orders/", {"q": mine.code[-6:]}).content.decode()
    assert mine.code not in client.get("/account/orders/", {"q": "nothing"}).content.decode()


def test_account_pages_need_a_login(client):
    for url in ("/account/orders/", "/account/notifications/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_notifications_show_the_unread_count_and_are_marked_read(client):
    me, other = make_user("me"), make_user("other")
    mine = Notification.objects.create(user=me, title="Order done")
    Notification.objects.create(user=me, title="Another")
    theirs = Notification.objects.create(user=other, title="Not yours")
    client.force_login(me)

    page = client.get("/account/notifications/").content.decode()
    assert "Order done" in page
    assert "Not yours" not in page
    assert '<span class="badge" data-unread>2</span>' in page

    client.post("/account/notifications/read/", {"id": [mine.pk, theirs.pk]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_read
    assert not theirs.is_read
    client.post("/account/notifications/read/")
    assert "data-unread" not in client.get("/account/notifications/").content.decode()


def test_a_deposit_starts_a_gateway_payment_for_the_deposit(client):
    user = make_user("topper")
    client.force_login(user)

    response = client.post("/account/wallet/deposit/", {"amount": "50000"})

    deposit = Deposit.objects.get()
    assert deposit.status == DepositStatus.PENDING
    assert deposit.amount == Decimal("50000")
    payment = SimulatedOrder.objects.get(provider="sandbox", reference=f"DEP-{deposit.pk}")
    assert response["Location"].endswith(f"/sim/sandbox/pay/{payment.external_id}")
    assert deposit.gateway_reference == payment.external_id


@pytest.mark.parametrize("amount", ["", "-5", "abc", "5"])
def test_a_bad_deposit_amount_creates_nothing(client, amount):
    client.force_login(make_user("topper"))

    response = client.post("/account/wallet/deposit/", {"amount": amount}, follow=True)

    assert not Deposit.objects.exists()
    assert response.status_code == 200
    assert b'role="alert"' in response.content
