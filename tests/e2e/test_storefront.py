"""The storefront in Chromium against the live server, with the sandbox gateway and the
Digiflazz simulator in the same server.

The guest's purchase runs through a real Celery worker (placement goes through Redis to it;
it reaches the simulator at the live server's address). The other flows run placement
eagerly, in the request that pays: they are about what the buyer sees (prices, ledger rows,
field messages, 404s), the worker path is covered once here and in tests/pipeline, and each
worker start costs seconds on this 2-core machine. Every test leaves a screenshot of its
final page in artifacts/screenshots/ (tests/e2e/conftest.py).
"""

from decimal import Decimal

import pytest

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.checkout import checkout_create
from orders.models import Order, OrderStatus
from orders.purchase import Purchase
from shop.celery import app
from shop.models import User
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RESELLER, make_storefront

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    return make_storefront()


@pytest.fixture
def worker(live_server, monkeypatch, request):
    """A real Celery worker that reaches the live server's simulators; tasks this process
    enqueues (the callback's on-commit placement) go through Redis to it."""
    for name, value in {
        "SITE_URL": live_server.url,
        "SIMULATOR_CALLBACK_BASE_URL": live_server.url,
        "DIGIFLAZZ_BASE_URL": live_server.url + "/sim/digiflazz/v1",
    }.items():
        monkeypatch.setenv(name, value)
    process = request.getfixturevalue("celery_worker_process")
    app.conf.task_always_eager = False
    yield process
    app.conf.task_always_eager = True


def sign_in(page, base_url: str, username: str, *, next_path: str = "/") -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


def user_with_password(username: str, *, reseller: bool = False) -> User:
    user = make_user(username, reseller=reseller)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.worker
def test_a_guest_buys_a_top_up_and_watches_the_order_succeed_live(live_server, page, shop, worker):
    _brand, _ml5, _ = shop
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Mobile Legends").first.click()
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    assert page.locator(".unavailable").inner_text().count("86 Diamond") == 1
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_role("button", name="Buy now").click()

    order = Order.objects.get()
    page.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")
    assert page.locator("[data-status]").get_attribute("data-status") == "pending_payment"
    assert "Rp 1,495" in page.locator("[data-order-price]").inner_text()
    checkout_url = page.locator("a[data-checkout]").get_attribute("href")
    page.reload()  # the instructions stay after a refresh
    assert page.locator("a[data-checkout]").get_attribute("href") == checkout_url

    gateway = page.context.new_page()  # pay in another tab; the order page updates alone
    gateway.goto(checkout_url)
    gateway.get_by_role("button", name="Pay").click()
    gateway.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")

    page.locator('[data-status="success"]').wait_for(timeout=15_000)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    serial = order.vouchers.get().serial
    assert serial
    assert page.locator("[data-voucher-serial]").inner_text() == serial
    assert page.locator("#order-status").get_attribute("hx-trigger") is None  # polling stopped


PHONE_INPUT_PAGE = "/brands/pulsa/"


@pytest.fixture
def phone_brand(shop):
    """A brand whose buyers type a phone number (one product, priced by the shop's rules)."""
    brand = BrandFactory(name="Pulsa", slug="pulsa", input_schema=InputSchema.PHONE)
    ProductFactory(brand=brand, name="Pulsa 5.000", cost=Decimal("5000"))
    catalog_reprice_all()
    return brand


def field_message(page, label: str) -> str:
    """The browser's own validation message of a field ("" when the value passes)."""
    return page.get_by_label(label, exact=True).evaluate("field => field.validationMessage")


def test_invalid_account_fields_get_their_messages_and_create_nothing(
    live_server, page, shop, phone_brand
):
    page.goto(f"{live_server.url}/brands/mobile-legends/")
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12ab")
    page.get_by_label("Zone ID").fill("zone")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_role("button", name="Buy now").click()

    # the browser stops the form at its own checks: still on the brand page, nothing sent
    assert page.url == f"{live_server.url}/brands/mobile-legends/"
    assert field_message(page, "User ID") != ""
    assert field_message(page, "Zone ID") != ""
    assert page.get_by_label("User ID").evaluate("f => f.validity.patternMismatch")

    # with the browser's checks off, the server refuses with a message next to each field
    page.locator("form.checkout").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_load_state()
    assert page.locator(".field.has-errors").count() == 2
    assert "User ID must contain digits only." in page.locator("#id_user_id ~ .error").inner_text()
    assert "Zone ID must contain digits only." in page.locator("#id_zone_id ~ .error").inner_text()

    page.goto(f"{live_server.url}{PHONE_INPUT_PAGE}")
    page.get_by_label("Pulsa 5.000").check()
    page.get_by_label("Phone number").fill("call me")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_role("button", name="Buy now").click()
    assert page.url == f"{live_server.url}{PHONE_INPUT_PAGE}"
    assert field_message(page, "Phone number") != ""

    # a number the browser's pattern lets through but the server does not (not 08…)
    page.get_by_label("Phone number").fill("0712 3456 789")
    assert field_message(page, "Phone number") == ""
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_load_state()
    assert page.locator("#id_phone ~ .error").inner_text() == (
        "Enter an Indonesian mobile number starting with 08, +628 or 628."
    )
    assert page.get_by_label("Phone number").input_value() == "0712 3456 789"
    assert Order.objects.count() == 0


def test_a_double_clicked_buy_creates_one_order(live_server, page, shop):
    page.goto(f"{live_server.url}/brands/mobile-legends/")
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    # The second click lands while the first request is on its way (Playwright's dblclick
    # is coalesced by Chromium into one submission, which would prove nothing).
    page.get_by_role("button", name="Buy now").evaluate(
        "button => { button.click(); setTimeout(() => button.click(), 30); }"
    )

    page.locator("[data-status]").wait_for()
    page.wait_for_timeout(500)  # a second submission, if any, has reached the server
    assert posts == [f"{live_server.url}/buy/mobile-legends/"]
    order = Order.objects.get()
    assert page.url.endswith(f"/orders/{order.code}/?t={order.access_token}")


def test_another_signed_in_user_gets_404_for_someone_elses_order(live_server, page, shop):
    _, ml5, _ = shop
    owner = user_with_password("owner")
    fund(owner, Decimal("5000"))
    order = checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=owner
        )
    )
    user_with_password("snoop")

    sign_in(page, live_server.url, "snoop")
    response = page.goto(f"{live_server.url}/orders/{order.code}/")

    assert response.status == 404
    assert order.customer_no not in page.content()
    status_part = page.request.get(f"{live_server.url}/orders/{order.code}/status/")
    assert status_part.status == 404


def buy_from_the_wallet(page, *, zone_id: str) -> Order:
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill(zone_id)
    page.get_by_label("Pay from my wallet").check()
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url("**/orders/**")
    return Order.objects.get(code=page.url.rstrip("/").rsplit("/", 1)[1])


def test_a_reseller_pays_from_the_wallet_and_sees_the_balance_drop(live_server, page, shop):
    """Then an order the simulator fails at once (zone id ending in 93: the customer number
    12345678-93) shows "refunded", the refund row, and the balance back."""
    reseller = user_with_password("reseller", reseller=True)
    fund(reseller, Decimal("50000"))

    sign_in(page, live_server.url, "reseller", next_path="/brands/mobile-legends/")
    assert "Rp 1,452" in page.get_by_label("MOBILE LEGENDS 5 Diamond").locator("..").inner_text()
    assert page.locator("[data-wallet-balance]").inner_text() == "Rp 50,000"
    bought = buy_from_the_wallet(page, zone_id="1234")

    page.locator('[data-status="success"]').wait_for(timeout=15_000)
    assert balance_of(reseller) == Decimal("50000") - ML5_RESELLER
    page.goto(f"{live_server.url}/account/wallet/")
    purchase = page.locator("tr.reason-purchase")
    assert purchase.count() == 1
    assert purchase.locator("td").all_inner_texts()[1:] == [
        "Purchase",
        bought.code,
        "-Rp 1,452",
        "Rp 48,548",
    ]

    page.goto(f"{live_server.url}/brands/mobile-legends/")
    assert page.locator("[data-wallet-balance]").inner_text() == "Rp 48,548"
    failed = buy_from_the_wallet(page, zone_id="93")
    page.locator('[data-status="refunded"]').wait_for(timeout=15_000)
    assert "Rp 1,452 was refunded to your wallet." in page.locator(".refund").inner_text()
    failed.refresh_from_db()
    assert failed.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == Decimal("50000") - ML5_RESELLER
    page.goto(f"{live_server.url}/account/wallet/")
    refund = page.locator("tr.reason-refund")
    assert refund.locator("td").all_inner_texts()[2:] == [
        failed.code,
        "Rp 1,452",
        "Rp 48,548",
    ]
    page.goto(f"{live_server.url}/account/wallet/")
    assert "Rp 48,548" in page.locator("p.balance").inner_text()
