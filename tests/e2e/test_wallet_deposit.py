"""In Chromium: a wallet top-up from the wallet page through the sandbox gateway, to the
credit. The sandbox pays with Tripay's signed callback to the live server; the wallet is
credited once with a deposit ledger row, and the gateway sending the same callback again
(as Tripay retries) credits nothing more."""

from decimal import Decimal

import pytest

from providers.models import SimulatedOrder
from providers.tripay.simulator_checkout import payment_callback_send
from shop.models import User
from wallets.models import Deposit, DepositStatus, Transfer, TransferReason
from wallets.selectors import ledger_check
from wallets.services import wallet_for_user
from webhooks.models import DeliveryOutcome, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


@pytest.fixture
def shop_on_live_server(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    return live_server


def test_a_deposit_through_the_sandbox_credits_the_wallet_once(shop_on_live_server, page):
    live_server = shop_on_live_server
    user = User.objects.create_user(username="dewi", password=PASSWORD, email="dewi@example.com")
    page.goto(f"{live_server.url}/accounts/login/?next=/account/wallet/")
    page.get_by_label("Username").fill("dewi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/account/wallet/")
    assert page.locator("[data-balance]").inner_text() == "Rp 0"

    page.get_by_label("Top-up amount").fill("50000")
    page.get_by_role("button", name="Top up").click()
    page.wait_for_url(f"{live_server.url}/sim/sandbox/pay/**")
    deposit = Deposit.objects.get(user=user)
    assert deposit.status == DepositStatus.PENDING
    assert wallet_for_user(user=user).balance == 0

    page.get_by_role("button", name="Pay").click()  # the sandbox calls the shop back
    page.wait_for_url(f"{live_server.url}/account/wallet/")

    deposit.refresh_from_db()
    wallet = wallet_for_user(user=user)
    assert deposit.status == DepositStatus.CREDITED
    assert wallet.balance == Decimal("50000")
    assert page.locator("[data-balance]").inner_text() == "Rp 50,000"
    row = page.locator("tr.reason-deposit")
    assert row.count() == 1
    assert row.locator("td").all_inner_texts()[1:] == [
        "Deposit",
        f"deposit:{deposit.pk}",
        "Rp 50,000",
        "Rp 50,000",
    ]
    assert "Rp 50,000 · Credited" in page.locator("ul.deposits").inner_text()

    # The gateway sends the same signed callback again: acknowledged, nothing moves.
    payment = SimulatedOrder.objects.get(provider="sandbox", reference=f"DEP-{deposit.pk}")
    payment_callback_send(payment)
    payment.refresh_from_db()
    assert payment.state["callback_reply_status"] == 200
    assert wallet_for_user(user=user).balance == Decimal("50000")
    assert Transfer.objects.filter(reason=TransferReason.DEPOSIT).count() == 1
    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [d.outcome for d in deliveries] == [DeliveryOutcome.PROCESSED, DeliveryOutcome.DUPLICATE]
    assert all(d.signature_valid for d in deliveries)
    page.reload()
    assert page.locator("tr.reason-deposit").count() == 1
    assert ledger_check().ok
