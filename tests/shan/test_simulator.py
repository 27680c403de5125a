"""The Shan simulator: its launch endpoint, its game page, and whole rounds over real HTTP
(the shop's launch → the simulator's page → the signed callback → the ledger)."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import CommandError, call_command
from django.test import Client

from providers.shan.simulator import callback_target
from shan.models import ShanSettlement
from shop.models import User
from tests.shan.support import mark_launched
from wallets.models import SystemAccount, Transfer
from wallets.selectors import ledger_check
from wallets.services import system_wallet, wallet_adjust, wallet_for_user

LAUNCH = "/sim/shan/api/client/launch-game"


def launch_body(**overrides):
    body = {
        "agent_code": "SIMAGENT",
        "product_code": 15,
        "game_type": "shan_komee",
        "member_account": "rina",
        "balance": 5000,
        "nickname": "Rina",
        "callback_url": "http://shop.example.test",
    }
    return {**body, **overrides}


@pytest.fixture
def sim(settings, db):
    settings.SHAN_AGENT_CODE = "SIMAGENT"
    return settings


def post_launch(client, body):
    return client.post(LAUNCH, data=json.dumps(body), content_type="application/json")


# --- the launch endpoint -------------------------------------------------------------------------


def test_the_simulator_launches_and_links_its_game_page(sim, client):
    response = post_launch(client, launch_body())

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"]) == (200, "Game launched successfully")
    url = urlsplit(body["url"])
    assert url.path.startswith("/sim/shan/game/")
    assert parse_qs(url.query) == {"user_name": ["rina"], "balance": ["5000.00"]}
    page = client.get(f"{url.path}?{url.query}").content.decode()
    assert "data-balance>Rp 5,000<" in page
    assert "Rina" in page


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"agent_code": ""}, {"agent_code": ["The agent code field is required."]}),
        ({"balance": -1}, {"balance": ["The balance must be at least 0."]}),
        ({"product_code": "x"}, {"product_code": ["The product code must be an integer."]}),
        ({"callback_url": "ftp://x"}, {"callback_url": ["The callback url format is invalid."]}),
    ],
)
def test_the_simulator_validates_like_the_provider(sim, client, overrides, errors):
    response = post_launch(client, launch_body(**overrides))

    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": "Validation failed", "errors": errors}


def test_the_simulator_refuses_an_unknown_agent_and_fails_for_accounts_ending_in_95(sim, client):
    unknown = post_launch(client, launch_body(agent_code="OTHER"))
    failed = post_launch(client, launch_body(member_account="player95"))

    assert unknown.status_code == 404
    assert unknown.json() == {"code": 404, "message": "Agent not found"}
    assert (failed.status_code, failed.json()) == (500, {"code": 500, "message": "Launch failed"})


def test_a_missing_session_is_a_404_page(sim, client):
    response = client.get("/sim/shan/game/nope")

    assert response.status_code == 404
    assert "does not exist" in response.content.decode()


def test_callback_url_priority(settings):
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://fallback.test/"
    suffix = "/api/shan/client/balance-update"

    assert callback_target("http://shop.test") == "http://shop.test" + suffix
    assert callback_target("http://shop.test" + suffix) == "http://shop.test" + suffix
    assert callback_target("") == "http://fallback.test" + suffix


# --- whole rounds over real HTTP ------------------------------------------------------------------


@pytest.fixture
def live_shan(settings, live_server):
    settings.SHAN_AGENT_CODE = "SIMAGENT"
    settings.SHAN_BASE_URL = f"{live_server.url}/sim/shan"
    settings.SHAN_CALLBACK_BASE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.SHAN_SECRET_KEY = "sim-shan-secret"
    settings.SHAN_TRANSACTION_KEY = "tx-key-1"
    return live_server


@pytest.fixture
def rina(transactional_db):
    user = User.objects.create_user(username="rina", password="a-long-password-1")
    wallet_adjust(wallet=wallet_for_user(user=user), amount=Decimal("5000"), reason="opening")
    return user


def launch_through_the_wallet_page() -> str:
    client = Client()
    client.force_login(User.objects.get(username="rina"))
    response = client.post("/account/wallet/", {"action": "play_shan"})
    assert response.status_code == 302, response.content
    return response["Location"]


def balances():
    return (
        wallet_for_user(user=User.objects.get(username="rina")).balance,
        system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("result", "bet", "player_after", "shown"),
    [
        ("win", "1000", Decimal("6000"), "Rp 6,000"),
        ("lose", "1250.50", Decimal("3749.50"), "Rp 3,750"),  # rupiah shown whole
    ],
)
def test_a_round_moves_the_wallet_by_exactly_its_result(
    live_shan, rina, result, bet, player_after, shown
):
    game_url = launch_through_the_wallet_page()
    assert game_url.startswith(f"{live_shan.url}/sim/shan/game/")

    page = requests.post(game_url, data={"bet": bet, "result": result}, timeout=20)

    assert page.status_code == 200
    assert ("You won" if result == "win" else "You lost") in page.text
    settlement = ShanSettlement.objects.get()
    assert f"wager {settlement.wager_code}" in page.text
    player, bank = balances()
    assert player == player_after
    change = player_after - Decimal("5000")
    assert bank == Decimal("1000000") - change  # the bank takes the other side
    assert system_wallet(SystemAccount.GAME_CLEARING).balance == -(player - 5000) - bank
    transfer = Transfer.objects.get(idempotency_key=f"shan:{settlement.wager_code}")
    assert transfer.reason == "game_settlement"
    assert ledger_check().ok
    # the simulator's own balance follows, and the wallet page lists the settlement
    assert f"data-balance>{shown}<" in page.text


@pytest.mark.django_db(transaction=True)
def test_a_bet_above_the_balance_sends_nothing(live_shan, rina):
    game_url = launch_through_the_wallet_page()

    page = requests.post(game_url, data={"bet": "5000.01", "result": "win"}, timeout=20)
    bad = requests.post(game_url, data={"bet": "abc"}, timeout=20)

    assert page.status_code == 400
    assert "more than your balance (Rp 5,000)" in page.text
    assert bad.status_code == 400
    assert "The bet must be an amount" in bad.text
    assert not ShanSettlement.objects.exists()
    assert balances()[0] == Decimal("5000")


@pytest.mark.django_db(transaction=True)
def test_a_refused_callback_leaves_every_balance(live_shan, rina):
    game_url = launch_through_the_wallet_page()
    User.objects.filter(username="rina").update(username="rina-renamed")  # unknown to the shop

    page = requests.post(game_url, data={"bet": "100", "result": "win"}, timeout=20)

    assert page.status_code == 200
    assert "was not accepted by the shop" in page.text
    assert "PLAYER_NOT_FOUND" in page.text
    assert "data-balance>Rp 5,000<" in page.text  # the simulator's balance did not move
    assert not ShanSettlement.objects.exists()
    assert wallet_for_user(user=User.objects.get(username="rina-renamed")).balance == 5000


@pytest.mark.django_db(transaction=True)
def test_simulate_shan_round_command_uses_the_same_code(live_shan, rina, capsys):
    mark_launched(rina)

    call_command("simulate_shan_round", players="rina", bet="500", seed=1)

    out = capsys.readouterr().out
    assert "HTTP 200" in out
    player, bank = balances()
    assert player in (Decimal("5500"), Decimal("4500"))
    assert bank == Decimal("1000000") - (player - Decimal("5000"))
    assert ledger_check().ok


def test_simulate_shan_round_command_refuses_a_player_who_never_launched(settings, rina):
    settings.SHAN_SECRET_KEY = "sim-shan-secret"

    with pytest.raises(CommandError, match="must have launched Shan") as refused:
        call_command("simulate_shan_round", players="rina", bet="500", seed=1)

    assert "rina" in str(refused.value)
    assert not ShanSettlement.objects.exists()
