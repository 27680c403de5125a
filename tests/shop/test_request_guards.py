"""Input no view expects is a 4xx with a message, never a 500: a NUL in an address or a
query, digits that are not ASCII, and a refusal never tells a buyer our cost or margin."""

from decimal import Decimal

import pytest

from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from shop.errors import ApplicationError
from shop.models import Notification
from tests.catalog.factories import PricingRuleFactory, ProductFactory
from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/orders/%00/", "/orders/%00/status/", "/search/?q=a%00b", "/?x%00=1"]
)
def test_a_nul_in_the_address_is_a_400(client, url):
    reply = client.get(url)

    assert reply.status_code == 400
    assert b"NUL" in reply.content


def test_notification_ids_that_are_not_ascii_digits_are_ignored(client):
    user = make_user("rina")
    Notification.objects.create(user=user, title="hello")
    client.force_login(user)

    reply = client.post("/account/notifications/read/", {"id": ["²", "\u0661"]})

    assert reply.status_code == 302
    assert Notification.objects.get().read_at is not None  # no ids: all marked read


def test_a_product_below_its_minimum_margin_is_refused_without_naming_our_cost():
    PricingRuleFactory(percent=Decimal("0"), min_margin=Decimal("50"))
    product = ProductFactory(cost=Decimal("1423"))
    # A shop item's price is raised to its margin floor (docs/routing.md); one that may sell
    # below cost is priced from its cheapest route alone and refused under the margin.
    product.shop_item.allow_below_cost = True
    product.shop_item.save()

    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=product,
                customer_data={"user_id": "12345678"},
                payment_method=PaymentMethod.GATEWAY,
                guest_email="guest@example.com",
            )
        )

    assert refused.value.code == "not_for_sale"
    assert "1423" not in refused.value.message
    assert refused.value.extra == {}
