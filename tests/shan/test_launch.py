"""Launching Shan: the client's request (against `responses`), its error mapping, and the
wallet page's "Play Shan" button."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from providers.base import FinalProviderError, TransientProviderError
from providers.models import CallOutcome, ProviderCall
from shan.launch import shan_launch_game
from shop.models import User
from wallets.models import BalanceMutation, Transfer, Wallet
from wallets.services import wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db

BASE = "https://shan.example.test"
LAUNCH_URL = f"{BASE}/api/client/launch-game"
GAME_URL = "https://game.example.test/?user_name=rina&balance=2500.50"
OK_REPLY = {"code": 200, "message": "Game launched successfully", "url": GAME_URL}


@pytest.fixture
def shan(settings):
    settings.SHAN_BASE_URL = BASE
    settings.SHAN_AGENT_CODE = "A3H4"
    settings.SHAN_CALLBACK_BASE_URL = "https://shop.example.test/"
    return settings


@pytest.fixture
def rina(db):
    user = User.objects.create_user(
        username="rina", password="a-long-password-1", first_name="Rina", last_name="W"
    )
    wallet_adjust(wallet=wallet_for_user(user=user), amount=Decimal("2500.50"), reason="opening")
    return user


def ledger_counts():
    return Transfer.objects.count(), BalanceMutation.objects.count(), Wallet.objects.count()


@responses.activate
def test_launch_sends_the_documented_request(shan, rina):
    responses.post(LAUNCH_URL, json=OK_REPLY)

    url = shan_launch_game(user=rina)

    assert url == GAME_URL
    assert len(responses.calls) == 1
    sent = responses.calls[0].request
    assert sent.method == "POST"
    assert sent.url == LAUNCH_URL
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Accept"] == "application/json"
    assert len(sent.headers["X-REQUEST-ID"]) == 36
    assert json.loads(sent.body) == {
        "agent_code": "A3H4",
        "product_code": 15,
        "game_type": "shan_komee",
        "member_account": "rina",
        "balance": 2500.5,
        "nickname": "Rina W",
        "callback_url": "https://shop.example.test",
    }
    call = ProviderCall.objects.get()
    assert (call.provider, call.endpoint, call.http_status, call.outcome) == (
        "shan",
        "api/client/launch-game",
        200,
        CallOutcome.OK,
    )
    assert call.request_id == sent.headers["X-REQUEST-ID"]


@responses.activate
def test_a_whole_balance_goes_as_an_integer_and_a_user_without_wallet_plays_with_zero(shan, db):
    newbie = User.objects.create_user(username="newbie")
    responses.post(LAUNCH_URL, json=OK_REPLY)

    shan_launch_game(user=newbie)

    body = json.loads(responses.calls[0].request.body)
    assert body["balance"] == 0
    assert isinstance(body["balance"], int)
    assert body["nickname"] == "newbie"
    assert not Wallet.objects.filter(user=newbie).exists()  # a launch only reads


@responses.activate
def test_a_validation_refusal_is_final_and_names_the_fields(shan, rina):
    responses.post(
        LAUNCH_URL,
        status=422,
        json={
            "code": 422,
            "message": "Validation failed",
            "errors": {"balance": ["The balance must be at least 0."]},
        },
    )

    with pytest.raises(FinalProviderError) as caught:
        shan_launch_game(user=rina)

    assert caught.value.message == (
        "The Shan provider refused the launch: Validation failed "
        "(balance: The balance must be at least 0.)."
    )
    assert ProviderCall.objects.get().outcome == CallOutcome.HTTP_ERROR


@responses.activate
@pytest.mark.parametrize("status", [500, 200])
def test_launch_failed_is_transient(shan, rina, status):
    responses.post(LAUNCH_URL, status=status, json={"code": 500, "message": "Launch failed"})

    with pytest.raises(TransientProviderError) as caught:
        shan_launch_game(user=rina)

    assert "could not launch the game" in caught.value.message
    assert len(responses.calls) == 1  # never repeated


@responses.activate
def test_a_reply_without_url_is_not_a_success(shan, rina):
    responses.post(LAUNCH_URL, json={"code": 200, "message": "Game launched successfully"})

    with pytest.raises(TransientProviderError, match="no game URL"):
        shan_launch_game(user=rina)


# --- the wallet page's button ------------------------------------------------------------------


def logged_in(client):
    client.force_login(User.objects.get(username="rina"))
    return client


def test_the_wallet_page_shows_play_shan_when_configured(shan, rina, client):
    page = logged_in(client).get("/account/wallet/").content.decode()

    assert 'value="play_shan"' in page
    assert "Play Shan" in page


def test_no_button_without_an_agent_code_and_simulators(settings, rina, client):
    settings.SHAN_AGENT_CODE = ""
    settings.SIMULATORS_ENABLED = False

    page = logged_in(client).get("/account/wallet/").content.decode()
    response = client.post("/account/wallet/", {"action": "play_shan"}, follow=True)

    assert "Play Shan" not in page
    assert "Shan is not available." in response.content.decode()


@responses.activate
def test_play_shan_sends_the_player_to_the_game(shan, rina, client):
    responses.post(LAUNCH_URL, json=OK_REPLY)

    response = logged_in(client).post("/account/wallet/", {"action": "play_shan"})

    assert response.status_code == 302
    assert response["Location"] == GAME_URL


@responses.activate
@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            {
                "status": 422,
                "json": {
                    "code": 422,
                    "message": "Validation failed",
                    "errors": {"member_account": ["The member account field is required."]},
                },
            },
            "Could not start Shan: The Shan provider refused the launch: Validation failed "
            "(member_account: The member account field is required.).",
        ),
        (
            {"status": 500, "json": {"code": 500, "message": "Launch failed"}},
            "Could not start Shan: The Shan provider could not launch the game (HTTP 500).",
        ),
        (
            {"body": requests.ReadTimeout("read timed out")},
            "Could not start Shan: The Shan game provider did not answer. "
            "Please try again in a minute.",
        ),
    ],
    ids=["422", "500", "timeout"],
)
def test_a_failed_launch_shows_a_clear_message_and_changes_nothing(
    shan, rina, client, reply, message
):
    responses.post(LAUNCH_URL, **reply)
    logged_in(client)
    before = ledger_counts()

    response = client.post("/account/wallet/", {"action": "play_shan"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [("/account/wallet/", 302)]
    assert message in response.content.decode()
    assert ledger_counts() == before
    assert wallet_for_user(user=rina).balance == Decimal("2500.50")
    assert ProviderCall.objects.count() == 1


def test_an_unconfigured_provider_is_a_clear_message(settings, rina, client):
    settings.SHAN_AGENT_CODE = "A3H4"
    settings.SHAN_BASE_URL = ""
    settings.SIMULATORS_ENABLED = False

    response = logged_in(client).post("/account/wallet/", {"action": "play_shan"}, follow=True)

    assert "Shan is not available right now (the game provider is not configured)." in (
        response.content.decode()
    )
