"""A Shan round moves a wallet by what the player's balance did at the provider, not to the
balance reported: whatever the wallet did while the round was played (a purchase, a
deposit) stands. The provider's knowledge of a balance comes from the launch, its balance
queries and the settlements, and is kept in ShanPlayerBalance."""

import json
from decimal import Decimal

import pytest
import responses

from orders.models import OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create_paid_from_wallet
from shan.launch import shan_launch_game
from shan.models import ShanPlayerBalance
from shop.models import Notification, User
from tests.catalog.factories import PricingRuleFactory, ProductFactory
from tests.shan.test_launch import LAUNCH_URL, OK_REPLY
from tests.shan.test_launch import shan as shan_provider  # noqa: F401
from tests.webhooks.test_shan import SECRET, encoded, post, round_payload
from wallets.models import SystemAccount
from wallets.selectors import ledger_check
from wallets.services import system_wallet, wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def player(settings, shan_provider):  # noqa: F811
    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = ""
    user = User.objects.create_user(username="alice")
    wallet_adjust(wallet=wallet_for_user(user=user), amount=D("10500.00"), reason="opening")
    return user


def balance(user) -> Decimal:
    return wallet_for_user(user=user).balance


@responses.activate
def launch(user) -> None:
    responses.post(LAUNCH_URL, json=OK_REPLY)
    shan_launch_game(user=user)


def settle(client, wager: str, alice: str, bank: str = "9900.00"):
    payload = round_payload(wager_code=wager, players=(("alice", alice), ("SKP0101", bank)))
    return post(client, encoded(payload))


def test_a_launch_records_the_balance_the_provider_was_told(player):
    launch(player)

    assert ShanPlayerBalance.objects.get(user=player).balance == D("10500.00")


def test_a_purchase_during_the_round_stands_and_a_loss_beyond_the_wallet_is_told(client, player):
    launch(player)  # the provider now holds 10,500 for alice
    PricingRuleFactory(percent=D("0"))
    product = ProductFactory(cost=D("10500"))
    order = order_create_paid_from_wallet(
        purchase=Purchase(
            product=product,
            user=player,
            customer_data={"user_id": "12345678"},
            payment_method="balance",
        )
    )
    assert order.status == OrderStatus.PAID
    assert balance(player) == 0

    reply = settle(client, "w-1", alice="10400.00")  # she lost 100 at the table

    assert reply.status_code == 200
    assert balance(player) == 0  # not 10,400: the purchase stands
    [notice] = Notification.objects.filter(user=None, data__wager_code="w-1")
    assert "alice: 100.00 more than the wallet held" in notice.message
    assert ShanPlayerBalance.objects.get(user=player).balance == D("10400.00")
    assert ledger_check().ok


def test_a_deposit_during_the_round_stands(client, player):
    launch(player)
    wallet_adjust(wallet=wallet_for_user(user=player), amount=D("50000"), reason="deposit")

    settle(client, "w-1", alice="10400.00")

    assert balance(player) == D("60400.00")  # 10,500 + 50,000 - 100
    assert not Notification.objects.filter(data__wager_code="w-1").exists()


def test_a_balance_query_tells_the_provider_the_balance_the_next_round_starts_from(client, player):
    launch(player)
    wallet_adjust(wallet=wallet_for_user(user=player), amount=D("50000"), reason="deposit")
    query = {
        "batch_requests": [{"member_account": "alice", "product_code": 15}],
        "currency": "IDR",
    }
    client.post("/api/shan/balance", json.dumps(query), content_type="application/json")
    assert ShanPlayerBalance.objects.get(user=player).balance == D("60500.00")

    settle(client, "w-1", alice="60600.00")  # won 100 on what the query told it

    assert balance(player) == D("60600.00")  # the deposit counted once


def test_rounds_follow_each_other_from_the_last_reported_balance(client, player):
    launch(player)

    settle(client, "w-1", alice="10400.00")
    settle(client, "w-2", alice="10700.00")
    settle(client, "w-1", alice="10400.00")  # a repeat changes nothing

    assert balance(player) == D("10700.00")
    assert system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance == D("9900.00")
    assert ledger_check().ok


def test_a_player_never_launched_through_the_shop_is_refused(client, player):
    response = settle(client, "w-1", alice="10400.00")

    assert response.status_code == 404
    assert response.json()["code"] == "PLAYER_NOT_FOUND"
    assert balance(player) == D("10500.00")


def test_a_late_copy_of_a_round_does_not_roll_the_known_balance_back(client, player):
    """A copy of round 1 that passed the "already settled?" check before round 1 committed
    reaches the ledger after round 2: it gets round 1's transfer and changes nothing."""
    from shan.settlement import shan_settle_game_round
    from wallets.models import TransferReason

    launch(player)
    settle(client, "w-1", alice="10400.00")
    settle(client, "w-2", alice="10700.00")

    late = shan_settle_game_round(
        reported={
            wallet_for_user(user=player): D("10400.00"),
            system_wallet(SystemAccount.SHAN_HOUSE_BANK): D("9900.00"),
        },
        counter_wallet=system_wallet(SystemAccount.GAME_CLEARING),
        reason=TransferReason.GAME_SETTLEMENT,
        reference="w-1",
        idempotency_key="shan:w-1",
    )

    assert late.shortfalls == {}
    assert ShanPlayerBalance.objects.get(user=player).balance == D("10700.00")
    settle(client, "w-3", alice="10800.00")
    assert balance(player) == D("10800.00")  # 10,700 + 100, not 10,400 + 400
