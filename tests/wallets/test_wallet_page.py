from decimal import Decimal

import pytest

from shop.models import User
from wallets.models import Deposit, DepositMethod, SystemAccount
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

    assert "<strong data-balance>Rp 6,000</strong>" in page
    assert "Game settlement" in page
    assert "wager WAGER-42" in page
    assert page.index("WAGER-42") < page.index("opening balance")  # newest first
    assert '<td class="amount">Rp 1,000</td>' in page
    assert '<td class="balance-after">Rp 5,000</td>' in page


@pytest.mark.parametrize(
    ("language", "balance", "debit", "deposit"),
    [
        ("en", "Rp 48,548", "-Rp 1,452", "Rp 50,000"),
        ("id", "Rp 48.548", "-Rp 1.452", "Rp 50.000"),
    ],
)
def test_amounts_on_the_wallet_page_follow_the_language(
    client, settings, language, balance, debit, deposit
):
    """Balance, ledger rows (signed), running balance and top-ups: rupiah without decimals,
    grouped for the reader's language."""
    user = User.objects.create_user(username="budi", password="a-long-password-1")
    wallet = wallet_for_user(user=user)
    wallet_adjust(wallet=wallet, amount=Decimal("50000"), reason="opening balance")
    wallet_adjust(wallet=wallet, amount=Decimal("-1452"), reason="correction")
    Deposit.objects.create(
        user=user, amount=Decimal("50000"), currency="IDR", method=DepositMethod.GATEWAY
    )
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get("/account/wallet/").content.decode()

    assert f"<strong data-balance>{balance}</strong>" in page
    assert f'<td class="amount">{debit}</td>' in page
    assert f'<td class="balance-after">{balance}</td>' in page
    assert f'<span class="amount">{deposit}</span>' in page
    assert "48548" not in page
    assert "IDR" not in page.split("<main", 1)[-1]


def test_people_log_in_with_the_login_page(client):
    User.objects.create_user(username="rina", password="a-long-password-1")

    response = client.post(
        "/accounts/login/", {"username": "rina", "password": "a-long-password-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/account/wallet/"
