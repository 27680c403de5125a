"""Staff see the house bank (SKP0101) and the game clearing account, with their ledgers."""

from decimal import Decimal

import pytest

from shop.models import User
from wallets.models import SystemAccount
from wallets.services import system_wallet, wallet_adjust, wallet_for_user, wallet_set_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled_round():
    player = User.objects.create_user(username="player")
    wallet = wallet_for_user(user=player)
    wallet_adjust(wallet=wallet, amount=Decimal("5000"), reason="opening")
    return wallet_set_balances(
        targets={
            wallet: Decimal("6000"),
            system_wallet(SystemAccount.SHAN_HOUSE_BANK): Decimal("999000"),
        },
        counter_wallet=system_wallet(SystemAccount.GAME_CLEARING),
        reason="game_settlement",
        reference="WAGER-7",
        idempotency_key="shan:WAGER-7",
    )


@pytest.fixture
def staff_client(client):
    User.objects.create_superuser(username="boss", password="a-long-password-1")
    client.force_login(User.objects.get(username="boss"))
    return client


def test_the_wallet_list_shows_the_shan_system_accounts(settled_round, staff_client):
    page = staff_client.get("/admin/wallets/wallet/").content.decode()

    assert "Shan house bank (SKP0101) (IDR)" in page
    assert "Game clearing" in page
    assert "999000.00" in page
    assert "-1000000.00" in page  # the clearing account took the other side


@pytest.mark.parametrize(
    ("account", "amount", "after"),
    [
        (SystemAccount.SHAN_HOUSE_BANK, "999000.00", "999000.00"),
        (SystemAccount.GAME_CLEARING, "-1000000.00", "-1000000.00"),
    ],
)
def test_each_system_account_shows_its_ledger(settled_round, staff_client, account, amount, after):
    wallet = system_wallet(account)

    page = staff_client.get(f"/admin/wallets/wallet/{wallet.pk}/change/").content.decode()

    assert "shan:WAGER-7" in page  # the leg's transfer, by its idempotency key
    assert amount in page
    assert after in page
