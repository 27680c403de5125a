from decimal import Decimal

import pytest

from shop.models import User
from wallets.models import SystemAccount
from wallets.services import system_wallet, wallet_adjust, wallet_for_user, wallet_set_balances

pytestmark = pytest.mark.django_db


def test_the_wallet_page_needs_a_login(client):
    response = client.get("/account/wallet/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_game_settlements_show_with_their_wager_code_and_running_balance(client):
    player = User.objects.create_user(username="player", password="a-long-password-1")
    wallet = wallet_for_user(user=player)
    wallet_adjust(wallet=wallet, amount=Decimal("5000"), reason="opening balance")
    wallet_set_balances(
        targets={wallet: Decimal("6000")},
        counter_wallet=system_wallet(SystemAccount.GAME_CLEARING),
        reason="game_settlement",
        reference="WAGER-42",
        idempotency_key="shan:WAGER-42",
    )
    client.force_login(User.objects.get(username="player"))

    page = client.get("/account/wallet/").content.decode()

    assert "6000.00 IDR" in page
    assert "Game settlement" in page
    assert "wager WAGER-42" in page
    assert page.index("WAGER-42") < page.index("opening balance")  # newest first
    assert "5000.00" in page


def test_people_log_in_with_the_login_page(client):
    User.objects.create_user(username="rina", password="a-long-password-1")

    response = client.post(
        "/accounts/login/", {"username": "rina", "password": "a-long-password-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/wallet/"
