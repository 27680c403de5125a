"""In Chromium: no page breaks under the Content-Security-Policy. Each test walks pages of one
kind (storefront, account and the simulators' pages, admin and the API docs) and fails on any
CSP violation the browser reports, as a `securitypolicyviolation` event or on its console."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog.services import catalog_reprice_all
from orders.checkout import order_attach_payment
from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.base import PaymentInstructions
from shop.models import User
from tests.catalog.factories import ProductFactory
from tests.orders.fixtures import make_user
from tests.storefront.support import GAME_ZONE_INPUT, make_storefront
from wallets.services import wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"
QR = "00020101021226610016ID.CO.SIMULATOR0118T0001234567890125303360540414955802ID6304ABCD"
# Collects what the browser reports; an init script runs before any page script, under no CSP.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " at " +
    event.sourceFile + ":" + event.lineNumber
  );
});
"""


class Violations:
    """The CSP violations of every page visited, with the page's address."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.found.append(f"{self.page.url}: console: {message.text}")

    def collect(self) -> None:
        """Read the events the current page recorded (call before leaving it)."""
        events = self.page.evaluate("window.__cspViolations || []")
        self.found.extend(f"{self.page.url}: {event}" for event in events)

    def assert_detected(self) -> None:
        """The watch works: an inline script added to the page now is blocked and reported
        (so an empty list means no violation, not a blind watcher)."""
        before = len(self.found)
        with self.page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            self.page.evaluate(
                """() => { const s = document.createElement("script");
                           s.textContent = "window.__ran = true;"; document.body.append(s); }"""
            )
        self.page.wait_for_function("window.__cspViolations.length > 0")
        assert self.page.evaluate("window.__ran") is None  # blocked, not run
        assert len(self.found) == before + 1  # and seen on the console
        del self.found[before:]
        self.page.evaluate("window.__cspViolations = []")

    def visit(self, url: str, *, ready: str | None = None) -> None:
        self.page.goto(url)
        if ready:
            self.page.locator(ready).first.wait_for(timeout=20_000)
        self.page.wait_for_load_state("load")
        self.collect()


@pytest.fixture
def violations(page):
    return Violations(page)


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = live_server.url + "/sim/tripay/api"
    cache.clear()  # Tripay's channel list is cached: read this simulator's
    storefront = make_storefront()
    brand, ml5, _ = storefront
    ProductFactory(  # priced above the Tripay channels' minimum amounts
        provider=ml5.provider,
        provider_sku="ML172",
        brand=brand,
        name="MOBILE LEGENDS 172 Diamond",
        cost=Decimal("39700"),
    )
    catalog_reprice_all()
    yield live_server, storefront
    cache.clear()


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def test_the_storefront_runs_under_the_policy(shop, page, violations):
    live_server, (_brand, ml5, _) = shop
    base = live_server.url

    violations.visit(f"{base}/")
    violations.assert_detected()
    violations.visit(f"{base}/search/?q=legends")
    violations.visit(f"{base}/brands/mobile-legends/")
    # a guest buys: the checkout form, its scripts (amount field, submit once), the order page
    page.get_by_label("MOBILE LEGENDS 172 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_label("Payment channel").select_option(label="BRI Virtual Account")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(f"{base}/orders/**")
    # htmx polls the status every 3 s: wait for one swap, then the copy button
    with page.expect_response(lambda response: "/status/" in response.url, timeout=20_000):
        pass
    violations.collect()
    # the Tripay simulator's checkout page (its <style> under the nonce)
    violations.visit(page.locator("a[data-checkout]").get_attribute("href"))
    # an order paid by QRIS with only a qr_string: the inline SVG QR code
    order = order_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )
    order_attach_payment(
        order=order,
        instructions=PaymentInstructions(reference="T0001234567890", qr_string=QR),
        channel="QRIS",
    )
    violations.visit(f"{base}/orders/{order.code}/?t={order.access_token}", ready="svg.qr")
    # the language menu submits itself on change (shop.js)
    with page.expect_navigation():
        page.locator("form.language select").select_option("id")
    page.wait_for_load_state("load")
    violations.collect()
    violations.visit(f"{base}/accounts/signup/")
    violations.visit(f"{base}/accounts/login/")

    assert violations.found == []


def test_the_account_pages_and_the_game_run_under_the_policy(shop, page, violations, settings):
    live_server, _ = shop
    base = live_server.url
    settings.SHAN_AGENT_CODE = "SIMAGENT"
    settings.SHAN_BASE_URL = f"{base}/sim/shan"
    settings.SHAN_CALLBACK_BASE_URL = base
    settings.SHAN_SECRET_KEY = "sim-shan-secret"
    player = make_user("rina", reseller=True)
    player.set_password(PASSWORD)
    player.save()
    wallet_adjust(wallet=wallet_for_user(user=player), amount=Decimal("5000"), reason="opening")

    sign_in(page, base, "rina")
    for path in ("/account/wallet/", "/account/orders/", "/account/notifications/"):
        violations.visit(f"{base}{path}")
    violations.visit(f"{base}/account/api/")
    violations.visit(f"{base}/developers/api/")
    violations.visit(f"{base}/account/wallet/")
    page.get_by_role("button", name="Play Shan").click()
    page.wait_for_url(f"{base}/sim/shan/game/**")
    page.get_by_label("Bet").fill("1000")
    page.get_by_label("Outcome").select_option("win")
    page.get_by_role("button", name="Play a round").click()
    page.locator("[data-last-round]").wait_for()
    violations.collect()

    assert violations.found == []


def test_the_admin_and_the_api_docs_run_under_the_policy(shop, page, violations):
    live_server, (_brand, ml5, _) = shop
    base = live_server.url
    User.objects.create_superuser(username="boss", password=PASSWORD)
    order = order_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )

    violations.visit(f"{base}/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")
    violations.collect()
    for path in (
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/catalog/product/",
        f"/admin/catalog/product/{ml5.pk}/change/",
        "/admin/catalog/pricingrule/add/",
        "/admin/wallets/wallet/",
        "/admin/wallets/deposit/",
        "/admin/shop/user/",
        "/admin/shop/user/add/",
        "/ops/dashboard/",
    ):
        violations.visit(f"{base}{path}")
    # the admin's own scripts: the changelist's select-all and actions bar, the filters
    violations.visit(f"{base}/admin/orders/order/")
    page.locator("#action-toggle").check() if page.locator("#action-toggle").count() else None
    violations.collect()
    # the API docs: Swagger UI renders the operations from the schema
    violations.visit(f"{base}/api/docs/", ready=".opblock")
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body").first.wait_for()
    violations.collect()

    assert violations.found == []
