"""POST /api/shan/balance: the provider's balance query, per member, read-only."""

import json
from decimal import Decimal

import pytest

from shan.models import ShanPlayerBalance
from shop.models import User
from tests.shan.support import mark_launched
from wallets.models import BalanceMutation, SystemAccount, Transfer, Wallet
from wallets.services import system_wallet, wallet_adjust, wallet_for_user, wallet_set_balances

pytestmark = pytest.mark.django_db

URL = "/api/shan/balance"


@pytest.fixture
def members(settings):
    settings.SHAN_TRANSACTION_KEY = ""
    settings.SHOP_CURRENCY = "IDR"
    alice = User.objects.create_user(username="alice")
    wallet_adjust(wallet=wallet_for_user(user=alice), amount=Decimal("1150.50"), reason="x")
    mark_launched(alice)
    bob = User.objects.create_user(username="bob")  # no wallet yet
    ShanPlayerBalance.objects.create(user=bob, balance=Decimal(0))  # launched with 0
    wallet_set_balances(
        targets={system_wallet(SystemAccount.SHAN_HOUSE_BANK): Decimal("9849.50")},
        counter_wallet=system_wallet(SystemAccount.GAME_CLEARING),
        reason="game_settlement",
        reference="w-0",
        idempotency_key="shan:w-0",
    )
    return settings


def query(client, members_, currency="IDR", **headers):
    body = {
        "batch_requests": [{"member_account": m, "product_code": 15} for m in members_],
        "operator_code": "A3H4",
        "currency": currency,
    }
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def counts():
    return Wallet.objects.count(), Transfer.objects.count(), BalanceMutation.objects.count()


def test_a_known_member_gets_the_balance(members, client):
    response = query(client, ["alice"])

    assert response.status_code == 200
    assert response.content == (
        b'{"status":"Request was successful.","message":"Balance retrieved successfully",'
        b'"data":[{"member_account":"alice","product_code":15,"balance":1150.50,"code":0,'
        b'"message":"Success"}]}'
    )


def test_several_members_at_once_each_with_its_code_and_nothing_written(members, client):
    before = counts()

    response = query(client, ["alice", "ghost", "bob", "SKP0101", ""])

    data = response.json()["data"]
    assert [(d["member_account"], d["code"], d["message"]) for d in data] == [
        ("alice", 0, "Success"),
        ("ghost", 1000, "Member does not exist"),
        ("bob", 0, "Success"),
        ("SKP0101", 0, "Success"),
        ("", 2002, "Invalid member account"),
    ]
    assert [Decimal(str(d["balance"])) for d in data] == [
        Decimal("1150.50"),
        0,
        0,
        Decimal("9849.50"),
        0,
    ]
    assert all(d["product_code"] == 15 for d in data)
    assert counts() == before  # read-only: bob still has no wallet
    assert not Wallet.objects.filter(user__username="bob").exists()


def test_an_invalid_currency_is_2001_for_every_member(members, client):
    response = query(client, ["alice", "bob"], currency="MMK")

    assert response.status_code == 200
    assert [(d["code"], d["message"]) for d in response.json()["data"]] == [
        (2001, "Invalid currency"),
        (2001, "Invalid currency"),
    ]


def test_with_a_transaction_key_the_right_key_is_needed(members, client):
    members.SHAN_TRANSACTION_KEY = "tx-key-1"

    missing = query(client, ["alice"])
    wrong = query(client, ["alice"], HTTP_X_TRANSACTION_KEY="tx-key-2")
    right = query(client, ["alice"], HTTP_X_TRANSACTION_KEY="tx-key-1")

    for refused in (missing, wrong):
        assert refused.status_code == 401
        body = refused.json()
        assert body["status"] == "error"
        assert [(d["member_account"], d["code"], d["balance"]) for d in body["data"]] == [
            ("alice", 1002, 0)
        ]
    assert right.status_code == 200
    assert right.json()["data"][0]["code"] == 0
    assert right.json()["data"][0]["balance"] == 1150.5


def test_without_a_configured_key_no_header_is_needed_with_the_simulators(members, client):
    members.SIMULATORS_ENABLED = True
    assert query(client, ["alice"]).status_code == 200


def test_without_a_configured_key_a_live_shop_tells_nobody_any_balance(members, client):
    members.SIMULATORS_ENABLED = False

    reply = query(client, ["alice"])

    assert reply.status_code == 503
    assert reply.json()["message"] == (
        "The balance query is not configured (SHAN_TRANSACTION_KEY)."
    )
    assert "1150" not in reply.content.decode()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"currency": "IDR"}',
        b'{"batch_requests": [], "currency": "IDR"}',
        b'{"batch_requests": ["alice"], "currency": "IDR"}',
        b'{"batch_requests": [{"member_account": "alice", "product_code": 15}]}',
    ],
)
def test_a_malformed_query_is_a_400(members, client, body):
    response = client.post(URL, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert response.json()["message"].startswith("Invalid request data")


def test_only_post(members, client):
    assert client.get(URL).status_code == 405
