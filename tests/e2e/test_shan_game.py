"""In Chromium: a player opens Shan from the wallet page, plays a round on the simulator's
game page and finds the new balance, with the wager, on the wallet page."""

from decimal import Decimal

import pytest

from shan.models import ShanSettlement
from shop.models import User
from wallets.selectors import ledger_check
from wallets.services import wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shan_on_live_server(settings, live_server):
    settings.SHAN_AGENT_CODE = "SIMAGENT"
    settings.SHAN_BASE_URL = f"{live_server.url}/sim/shan"
    settings.SHAN_CALLBACK_BASE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.SHAN_SECRET_KEY = "sim-shan-secret"
    return live_server


def test_a_player_plays_a_round_of_shan_and_sees_the_new_balance(shan_on_live_server, page):
    live_server = shan_on_live_server
    player = User.objects.create_user(username="rina", password="a-long-password-1")
    wallet_adjust(wallet=wallet_for_user(user=player), amount=Decimal("5000"), reason="opening")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("rina")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/account/wallet/")
    assert "Rp 5,000" in page.locator("p.balance").inner_text()

    page.get_by_role("button", name="Play Shan").click()
    page.wait_for_url(f"{live_server.url}/sim/shan/game/**")
    assert page.locator("[data-balance]").inner_text() == "Rp 5,000"
    page.get_by_label("Bet").fill("1500")
    page.get_by_label("Outcome").select_option("win")
    page.get_by_role("button", name="Play a round").click()

    assert "You won Rp 1,500" in page.locator("[data-last-round]").inner_text()
    assert page.locator("[data-balance]").inner_text() == "Rp 6,500"
    wager_code = ShanSettlement.objects.get().wager_code

    page.get_by_role("link", name="Back to the shop").click()
    page.wait_for_url(f"{live_server.url}/account/wallet/")
    assert "Rp 6,500" in page.locator("p.balance").inner_text()
    assert f"wager {wager_code}" in page.locator("table.ledger").inner_text()
    assert ledger_check().ok
