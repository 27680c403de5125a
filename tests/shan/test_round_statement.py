"""A Shan round of several players is one multi-leg ledger transfer written with the
players' known balances and the settlement row: on PostgreSQL in one statement, with the ORM
(SQLite's way) in the same transaction; each way keeps the ledger's invariants."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shan.models import ShanPlayerBalance, ShanSettlement
from shan.settlement import shan_apply_balance_update, shan_fingerprint
from shop.models import Notification, User
from tests.shan.support import mark_launched
from wallets.models import BalanceMutation, SystemAccount, Transfer
from wallets.selectors import ledger_check
from wallets.services import system_wallet, wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db
D = Decimal
PLAYERS = ["p0", "p1", "p2", "p3", "p4"]
OPENING = D("1000.00")


@pytest.fixture(params=["one statement", "orm"])
def ledger_writer(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr("wallets.recording.writes_in_one_statement", lambda: False)
    return request.param


@pytest.fixture
def players(ledger_writer):
    users = {}
    for name in PLAYERS:
        users[name] = User.objects.create_user(username=name)
        wallet_adjust(wallet=wallet_for_user(user=users[name]), amount=OPENING, reason="opening")
        mark_launched(users[name])
    for code in (SystemAccount.SHAN_HOUSE_BANK, SystemAccount.GAME_CLEARING):
        system_wallet(code)  # as after the first round
    return users


def round_data(wager: str, balances: dict[str, str], bank: str = "5000.00") -> dict:
    return {
        "wager_code": wager,
        "game_type_id": 15,
        "players": [
            *({"player_id": name, "balance": D(balance)} for name, balance in balances.items()),
            {"player_id": "SKP0101", "balance": D(bank)},
        ],
        "banker_balance": D(bank),
        "timestamp": "2025-01-15T10:30:00+0000",
    }


def settle(data: dict) -> bool:
    return shan_apply_balance_update(data=data, fingerprint=shan_fingerprint(repr(data)))


def balance_of(user) -> Decimal:
    return wallet_for_user(user=user).balance


def known(user) -> Decimal:
    return ShanPlayerBalance.objects.get(user=user).balance


def test_a_round_moves_every_player_in_one_transfer_with_known_balances_and_settlement(players):
    reported = {"p0": "1100.00", "p1": "900.00", "p2": "1000.00", "p3": "1250.50", "p4": "0.00"}

    assert settle(round_data("r-1", reported)) is True

    for name, balance in reported.items():
        assert balance_of(players[name]) == D(balance)
        assert known(players[name]) == D(balance)
    transfer = Transfer.objects.get(idempotency_key="shan:r-1")
    legs = BalanceMutation.objects.filter(transfer=transfer)
    # four players moved (p2 did not), the house bank and the clearing account
    assert legs.count() == 6
    assert sum(leg.amount for leg in legs) == 0
    settlement = ShanSettlement.objects.get(wager_code="r-1")
    assert (settlement.transfer_id, settlement.game_type_id) == (transfer.pk, 15)
    assert settlement.banker_balance == D("5000.00")
    assert system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance == D("5000.00")
    assert ledger_check().ok


def test_the_round_is_one_statement_on_postgresql(players, ledger_writer):
    if ledger_writer != "one statement":
        pytest.skip("the ORM writes the same rows in several statements")
    with CaptureQueriesContext(connection) as queries:
        settle(round_data("r-1", dict.fromkeys(PLAYERS, "1010.00")))

    writes = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(writes) == 1
    [statement] = writes
    for table in ("wallets_transfer", "wallets_balancemutation", "wallets_shanplayerbalance"):
        assert f"INSERT INTO {table}" in statement
    assert "INSERT INTO wallets_shansettlement" in statement
    assert "UPDATE wallets_wallet" in statement
    # find the wallets, lock them, lock the known balances, write: savepoints aside
    reads = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(reads) == 4


def test_a_late_copy_changes_nothing_after_a_later_round(players):
    first = round_data("r-1", {"p0": "900.00", "p1": "1100.00"})
    settle(first)
    settle(round_data("r-2", {"p0": "950.00", "p1": "1050.00"}, bank="4900.00"))
    before = (
        {name: (balance_of(user), known(user)) for name, user in players.items()},
        Transfer.objects.count(),
        ShanSettlement.objects.count(),
    )

    assert settle(first) is False

    after = (
        {name: (balance_of(user), known(user)) for name, user in players.items()},
        Transfer.objects.count(),
        ShanSettlement.objects.count(),
    )
    assert after == before
    assert ledger_check().ok


def test_losses_bigger_than_the_wallets_take_them_to_zero_and_staff_are_told(players):
    for name in ("p0", "p1"):  # spent in the shop while the round was played
        wallet_adjust(wallet=wallet_for_user(user=players[name]), amount=-D("950"), reason="spent")

    settle(round_data("r-1", {"p0": "800.00", "p1": "990.00", "p2": "1200.00"}))

    assert balance_of(players["p0"]) == 0  # 50 left, lost 200
    assert balance_of(players["p1"]) == D("40.00")  # 50 left, lost 10
    assert balance_of(players["p2"]) == D("1200.00")
    assert known(players["p0"]) == D("800.00")
    [notice] = Notification.objects.filter(user=None, data__wager_code="r-1")
    assert "p0: 150.00 more than the wallet held" in notice.message
    assert "p1" not in notice.message
    assert ledger_check().ok


def test_a_player_named_like_a_system_account_is_only_a_player(players, ledger_writer):
    named = User.objects.create_user(username=SystemAccount.GAME_CLEARING.value)
    mark_launched(named)

    assert settle(round_data("r-1", {named.username: "300.00"}, bank="4700.00")) is True

    assert balance_of(named) == D("300.00")
    assert known(named) == D("300.00")
    clearing = system_wallet(SystemAccount.GAME_CLEARING)
    assert clearing.balance == -D("5000.00")  # took the difference, nothing more
    assert ledger_check().ok
