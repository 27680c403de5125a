"""Links from the gateway are checked before the buyer is sent to them: a checkout URL or a
QR image URL must be https (or, with the simulators on, the simulators' own pages). Anything
else fails the checkout as a gateway error: the order is cancelled (a top-up rejected), the
person gets the form's error, and no link is shown or followed.

Tripay is faked with `responses` at its sandbox address; only its reply's links change."""

import copy
from decimal import Decimal

import pytest
import responses

from orders.models import Order, OrderStatus
from tests.orders.fixtures import make_user
from tests.providers.tripay.test_adapter import CHANNELS_REPLY, CREATE_REPLY
from tests.storefront.support import buy
from tests.storefront.test_checkout import guest_form
from wallets.models import Deposit, DepositStatus

pytestmark = pytest.mark.django_db

BASE = "https://tripay.test/api-sandbox"
REFUSED = "The payment could not be started; nothing was charged. Please try again."
BAD_LINKS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://tripay.co.id/checkout/T1",  # plain http
    "//evil.example/checkout",
    "https://",
    "https:///checkout",
    "https://evil.example/\njavascript:alert(1)",
    "ftp://tripay.co.id/checkout",
]


@pytest.fixture
def tripay(settings):
    """The shop in production mode paying through Tripay (faked by `responses`)."""
    settings.SIMULATORS_ENABLED = False
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_API_KEY = "DEV-links"
    settings.TRIPAY_PRIVATE_KEY = "links-private-key"
    settings.TRIPAY_MERCHANT_CODE = "T0001"
    settings.TRIPAY_BASE_URL = BASE
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(f"{BASE}/merchant/payment-channel", json=CHANNELS_REPLY)
        yield fake


def reply_with(**links) -> dict:
    reply = copy.deepcopy(CREATE_REPLY)
    reply["data"].update(links)
    return reply


@pytest.mark.parametrize("field", ["checkout_url", "qr_url"])
@pytest.mark.parametrize("link", BAD_LINKS)
def test_a_bad_link_cancels_the_order_with_a_form_error(client, storefront, tripay, field, link):
    _, ml5, _ = storefront
    tripay.post(f"{BASE}/transaction/create", json=reply_with(**{field: link}))

    response = buy(client, guest_form(ml5, channel="BRIVA"))

    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSED in page
    assert "javascript:" not in page.lower()
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert order.payment_instructions in (None, {})
    assert "not a safe link" in order.events.last().message


def test_https_links_are_shown(client, storefront, tripay):
    _, ml5, _ = storefront
    tripay.post(
        f"{BASE}/transaction/create",
        json=reply_with(qr_url="https://tripay.co.id/qr/T0001000000000000006"),
    )

    response = buy(client, guest_form(ml5, channel="BRIVA"))

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT
    page = client.get(response["Location"]).content.decode()
    assert 'href="https://tripay.co.id/checkout/T0001000000000000006"' in page
    assert 'src="https://tripay.co.id/qr/T0001000000000000006"' in page


@pytest.mark.parametrize("link", BAD_LINKS)
def test_a_bad_link_rejects_the_top_up_with_a_message(client, tripay, link):
    client.force_login(make_user("topper"))
    tripay.post(f"{BASE}/transaction/create", json=reply_with(checkout_url=link))

    response = client.post("/account/wallet/deposit/", {"amount": "50000"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/account/wallet/", 302)]
    assert REFUSED in response.content.decode()
    deposit = Deposit.objects.get()
    assert deposit.status == DepositStatus.REJECTED
    assert deposit.amount == Decimal("50000")


def test_an_https_top_up_link_is_followed(client, tripay):
    client.force_login(make_user("topper"))
    tripay.post(f"{BASE}/transaction/create", json=CREATE_REPLY)

    response = client.post("/account/wallet/deposit/", {"amount": "50000"})

    assert response["Location"] == "https://tripay.co.id/checkout/T0001000000000000006"
    assert Deposit.objects.get().status == DepositStatus.PENDING


@pytest.mark.parametrize(
    ("link", "allowed"),
    [
        ("http://127.0.0.1:9/sim/tripay/checkout/T1", True),  # the gateway's simulator
        ("http://127.0.0.1:8000/sim/sandbox/pay/T1", True),  # SITE_URL's simulators
        ("http://127.0.0.1:9/checkout/T1", False),  # the same host outside /sim/
        ("http://evil.example/sim/tripay/checkout/T1", False),
        ("javascript:alert(1)", False),
        ("https://tripay.co.id/checkout/T1", True),
    ],
)
def test_with_simulators_on_http_is_allowed_only_for_the_simulators(
    client, storefront, settings, link, allowed
):
    _, ml5, _ = storefront
    settings.SIMULATORS_ENABLED = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = "http://127.0.0.1:9/sim/tripay/api"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.get(f"{settings.TRIPAY_BASE_URL}/merchant/payment-channel", json=CHANNELS_REPLY)
        fake.post(
            f"{settings.TRIPAY_BASE_URL}/transaction/create", json=reply_with(checkout_url=link)
        )

        response = buy(client, guest_form(ml5, channel="BRIVA"))

    assert response.status_code == (302 if allowed else 400)
    expected = OrderStatus.PENDING_PAYMENT if allowed else OrderStatus.CANCELLED
    assert Order.objects.get().status == expected
