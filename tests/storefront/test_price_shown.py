"""A buyer is charged the price the page showed them, never another: a price that changed
between the view of the page and the click is refused with a message, and nothing is
created or charged; the page then shows the new price to order at."""

from decimal import Decimal

import pytest

from catalog.services import catalog_reprice_product
from orders.models import Order, PaymentMethod
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RESELLER, checkout_token
from wallets.models import Transfer

pytestmark = pytest.mark.django_db

URL = "/buy/mobile-legends/"
CHANGED = "The price has changed since this page was shown."


@pytest.fixture
def reseller(client):
    buyer = make_user("res", reseller=True)
    fund(buyer, Decimal("100000"))
    client.force_login(buyer)
    return buyer


def wallet_form(item, token) -> dict:
    return {
        "checkout_token": token,
        "item": item.shop_item_id,
        **GAME_ZONE_INPUT,
        "payment_method": PaymentMethod.BALANCE,
    }


def raise_cost(product, cost: str) -> None:
    product.cost = Decimal(cost)
    product.save(update_fields=["cost"])
    catalog_reprice_product(product=product)


def test_a_price_raised_after_the_page_was_shown_is_refused_and_nothing_charged(
    client, storefront, reseller
):
    _, ml5, _ = storefront
    token = checkout_token(client)  # the page shows ML5 at 1,452
    raise_cost(ml5, "5000")  # a sync raises the cost meanwhile

    response = client.post(URL, wallet_form(ml5, token))

    assert response.status_code == 400
    assert CHANGED in response.content.decode()
    assert not Order.objects.exists()
    assert not Transfer.objects.filter(idempotency_key__endswith=":debit").exists()
    assert balance_of(reseller) == Decimal("100000")
    assert "5,100" in response.content.decode()  # the new price, to order at

    again = client.post(URL, wallet_form(ml5, response.context["checkout_token"]))

    assert again.status_code == 302
    assert balance_of(reseller) == Decimal("100000") - Decimal("5100")


def test_a_price_that_fell_is_refused_too_so_the_buyer_sees_what_they_pay(
    client, storefront, reseller
):
    _, ml5, _ = storefront
    token = checkout_token(client)
    raise_cost(ml5, "1000")

    response = client.post(URL, wallet_form(ml5, token))

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_the_price_shown_is_the_price_charged(client, storefront, reseller):
    _, ml5, _ = storefront

    response = client.post(URL, wallet_form(ml5, checkout_token(client)))

    assert response.status_code == 302
    assert Order.objects.get().price == ML5_RESELLER
    assert balance_of(reseller) == Decimal("100000") - ML5_RESELLER


def test_the_same_form_sent_again_after_a_price_change_leads_to_its_first_order(
    client, storefront, reseller
):
    """The first reply was lost; the price moved before the browser sent the form again:
    the buyer gets the order they already paid for, not a refusal inviting a second one."""
    _, ml5, _ = storefront
    form = wallet_form(ml5, checkout_token(client))
    first = client.post(URL, form)
    raise_cost(ml5, "5000")

    again = client.post(URL, form)

    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1
    assert balance_of(reseller) == Decimal("100000") - ML5_RESELLER


def test_an_item_the_page_did_not_show_is_refused(client, storefront, reseller):
    _, _, ml86 = storefront
    token = checkout_token(client)  # ML86 was not for sale when the page was shown
    ml86.provider_active = True
    ml86.save(update_fields=["provider_active"])
    catalog_reprice_product(product=ml86)

    response = client.post(URL, wallet_form(ml86, token))

    assert response.status_code == 400
    assert "This page has expired" in response.content.decode()
    assert not Order.objects.exists()
