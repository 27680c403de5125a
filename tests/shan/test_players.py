"""Who counts as a Shan player: only users who launched the game through the shop (their
`ShanPlayerBalance` row is made at launch). A balance update or a balance query naming
anyone else (a user who never launched, a staff account, a user named like the house bank)
touches nothing; house-bank codes are reserved at sign-up; staff cannot launch."""

import json
from decimal import Decimal

import pytest
import responses

from providers.base import FinalProviderError
from shan.launch import shan_launch_game
from shan.models import ShanPlayerBalance, ShanSettlement
from shop.models import User
from tests.webhooks.test_shan import SECRET, encoded, post, round_payload
from wallets.models import SystemAccount, Transfer
from wallets.services import system_wallet, wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db

QUERY_URL = "/api/shan/balance"


@pytest.fixture
def shan(settings):
    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = ""
    settings.SHOP_CURRENCY = "IDR"
    return settings


def funded(username: str, **fields) -> User:
    user = User.objects.create_user(username=username, **fields)
    wallet_adjust(wallet=wallet_for_user(user=user), amount=Decimal("5000"), reason="opening")
    return user


def launched(user: User) -> User:
    ShanPlayerBalance.objects.create(user=user, balance=Decimal("5000"))
    return user


def balance_of(user: User) -> Decimal:
    return wallet_for_user(user=user).balance


def query(client, names):
    body = {
        "batch_requests": [{"member_account": name, "product_code": 15} for name in names],
        "operator_code": "A3H4",
        "currency": "IDR",
    }
    return client.post(QUERY_URL, data=json.dumps(body), content_type="application/json")


def test_a_player_who_launched_is_settled(client, shan):
    alice = launched(funded("alice"))

    response = post(client, encoded(round_payload(players=(("alice", "6000"), ("SKP0101", "1")))))

    assert response.status_code == 200
    assert balance_of(alice) == Decimal("6000.00")


@pytest.mark.parametrize(
    ("username", "fields", "was_launched"),
    [
        ("stranger", {}, False),  # never launched the game through the shop
        ("clerk", {"is_staff": True}, True),  # a staff account, even with a launch record
        ("root", {"is_superuser": True}, False),
        ("skp0101", {}, True),  # a user named like the house bank
    ],
)
def test_a_round_naming_anyone_but_a_launched_player_moves_nothing(
    client, shan, username, fields, was_launched
):
    launched(funded("alice"))
    target = funded(username, **fields)
    if was_launched:
        launched(target)
    transfers = Transfer.objects.count()

    response = post(
        client,
        encoded(round_payload(players=(("alice", "6000"), (username, "999999"), ("SKP0101", "1")))),
    )

    assert response.status_code == 404
    assert response.json()["code"] == "PLAYER_NOT_FOUND"
    assert balance_of(target) == Decimal("5000.00")
    assert balance_of(User.objects.get(username="alice")) == Decimal("5000.00")
    assert Transfer.objects.count() == transfers
    assert not ShanSettlement.objects.exists()


def test_the_house_bank_code_still_settles_the_house_wallet(client, shan):
    launched(funded("alice"))

    post(client, encoded(round_payload(players=(("alice", "4000"), ("SKP0101", "7000")))))

    assert system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance == Decimal("7000.00")


def test_a_balance_query_answers_only_launched_players_and_records_nobody_else(client, shan):
    launched(funded("alice"))
    funded("stranger")
    launched(funded("clerk", is_staff=True))
    funded("skp0101")

    response = query(client, ["alice", "stranger", "clerk", "skp0101"])

    data = response.json()["data"]
    assert [(d["member_account"], d["code"]) for d in data] == [
        ("alice", 0),
        ("stranger", 1000),
        ("clerk", 1000),
        ("skp0101", 1000),
    ]
    assert [d["balance"] for d in data] == [5000, 0, 0, 0]
    assert set(ShanPlayerBalance.objects.values_list("user__username", flat=True)) == {
        "alice",
        "clerk",
    }
    assert ShanPlayerBalance.objects.get(user__username="clerk").balance == Decimal("5000")


@pytest.mark.parametrize("username", ["SKP0101", "skp0101", "Skp0101"])
def test_house_bank_codes_are_reserved_at_sign_up(client, username):
    response = client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": "bank@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )

    assert response.status_code == 400
    assert "This user name is reserved." in response.content.decode()
    assert not User.objects.filter(username__iexact="skp0101").exists()


@responses.activate
def test_a_staff_account_cannot_launch_shan(settings):
    settings.SHAN_BASE_URL = "https://shan.example.test"
    settings.SHAN_AGENT_CODE = "A3H4"
    clerk = funded("clerk", is_staff=True)

    with pytest.raises(FinalProviderError) as refused:
        shan_launch_game(user=clerk)

    assert refused.value.message == (
        "This account cannot play Shan (staff and house-bank accounts never play)."
    )
    assert not responses.calls
    assert not ShanPlayerBalance.objects.exists()


def test_a_staff_account_gets_no_play_shan_button(settings, client):
    settings.SHAN_AGENT_CODE = "A3H4"
    client.force_login(funded("clerk", is_staff=True))

    page = client.get("/account/wallet/").content.decode()
    response = client.post("/account/wallet/", {"action": "play_shan"}, follow=True)

    assert "Play Shan" not in page
    assert "Shan is not available." in response.content.decode()
    assert not ShanPlayerBalance.objects.exists()
