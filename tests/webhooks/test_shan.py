import json
import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from providers.shan import signature
from shan.models import ShanPlayerBalance, ShanSettlement
from shop.models import Notification, User
from tests.shan.support import mark_launched
from wallets.models import SystemAccount, Transfer
from wallets.selectors import ledger_check
from wallets.services import system_wallet, wallet_for_user
from webhooks.models import DeliveryOutcome, WebhookDelivery

URL = "/api/shan/client/balance-update"
SECRET = "shan-test-secret"
VECTORS = json.loads(
    (Path(__file__).parent / "fixtures" / "shan_signature_vectors.json").read_text()
)


def round_payload(wager_code="w-1", players=(("alice", "1150.50"), ("SKP0101", "9849.50"))):
    return {
        "wager_code": wager_code,
        "game_type_id": 15,
        "players": [{"player_id": pid, "balance": Decimal(bal)} for pid, bal in players],
        "banker_balance": Decimal("9849.50"),
        "agent_balance": Decimal("9849.50"),
        "timestamp": "2025-01-15T10:30:00+0000",
        "total_player_net": Decimal("100.50"),
        "banker_amount_change": Decimal("-100.50"),
    }


def as_sent(value):
    """Numbers as the provider's json_encode writes them (their exact text)."""
    if isinstance(value, dict):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return signature.RawNumber(str(value))
    return value


def encoded(payload: dict, secret: str = SECRET) -> bytes:
    return signature.signed_body(secret, as_sent(payload))


def post(client, body: bytes, **headers):
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def shan(settings, db):
    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = ""
    mark_launched(User.objects.create_user(username="alice"))
    return settings


def balances():
    alice = wallet_for_user(user=User.objects.get(username="alice")).balance
    bank = system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance
    clearing = system_wallet(SystemAccount.GAME_CLEARING).balance
    return alice, bank, clearing


# --- the signature rule ---------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
def test_every_php_vector_verifies(vector):
    body = signature.parse_preserving_numbers(vector["body"].encode())

    assert signature.signed_string(body) == vector["signed_string"]
    assert signature.verify(vector["secret"], body)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
def test_any_changed_byte_fails(vector):
    raw = vector["body"].encode()
    for index in range(len(raw)):
        flipped = raw[:index] + bytes([raw[index] ^ 0x01]) + raw[index + 1 :]
        try:
            body = signature.parse_preserving_numbers(flipped)
        except signature.ShanBodyError:
            continue  # not JSON any more: refused before any signature
        assert not signature.verify(vector["secret"], body), f"byte {index} flipped still verifies"


def test_numbers_are_signed_as_sent_not_as_floats():
    vector = VECTORS[0]
    body = json.loads(vector["body"])
    reserialised = json.dumps({**body, "banker_balance": 9000.0}, separators=(",", ":")).encode()

    assert not signature.verify(vector["secret"], signature.parse_preserving_numbers(reserialised))


# --- the endpoint ------------------------------------------------------------------------------


def test_a_round_moves_each_player_to_the_reported_balance(client, shan):
    response = post(client, encoded(round_payload()))

    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "code": "SUCCESS",
        "message": "Balances updated successfully.",
    }
    assert balances() == (Decimal("1150.50"), Decimal("9849.50"), Decimal("-11000.00"))
    transfer = Transfer.objects.get(idempotency_key="shan:w-1")
    assert transfer.reason == "game_settlement"
    assert transfer.reference == "w-1"
    assert ledger_check().ok
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.signature_valid, delivery.wager_code) == (
        DeliveryOutcome.PROCESSED,
        True,
        "w-1",
    )


def test_an_identical_delivery_is_already_processed_and_changes_nothing(client, shan):
    body = encoded(round_payload())
    post(client, body)

    response = post(client, body)

    assert response.status_code == 200
    assert response.json()["code"] == "ALREADY_PROCESSED"
    assert balances() == (Decimal("1150.50"), Decimal("9849.50"), Decimal("-11000.00"))
    assert Transfer.objects.filter(reason="game_settlement").count() == 1


def test_an_identical_delivery_is_answered_from_one_lookup_and_stores_nothing(
    client, shan, django_assert_num_queries
):
    body = encoded(round_payload())
    post(client, body)
    known = dict(ShanPlayerBalance.objects.values_list("user_id", "balance"))

    with django_assert_num_queries(1):  # the settlement, by its wager code's unique index
        response = post(client, body)

    assert response.json()["code"] == "ALREADY_PROCESSED"
    assert WebhookDelivery.objects.count() == 1  # the first delivery's row only
    assert dict(ShanPlayerBalance.objects.values_list("user_id", "balance")) == known
    assert ledger_check().ok


def test_the_same_wager_with_other_content_is_stored_and_refused(client, shan):
    post(client, encoded(round_payload()))

    response = post(client, encoded({**round_payload(), "timestamp": "2025-01-15T10:31:00+0000"}))

    assert response.status_code == 409
    assert response.json()["code"] == "WAGER_CONFLICT"
    refused = WebhookDelivery.objects.latest("pk")
    assert (refused.outcome, refused.signature_valid) == ("rejected", True)
    assert balances() == (Decimal("1150.50"), Decimal("9849.50"), Decimal("-11000.00"))


def test_the_same_wager_with_other_content_is_a_conflict(client, shan):
    post(client, encoded(round_payload()))

    response = post(client, encoded(round_payload(players=(("alice", "5"), ("SKP0101", "1")))))

    assert response.status_code == 409
    assert response.json()["code"] == "WAGER_CONFLICT"
    assert balances() == (Decimal("1150.50"), Decimal("9849.50"), Decimal("-11000.00"))
    assert Notification.objects.filter(user=None, title__contains="w-1").exists()


def test_an_unknown_player_rejects_the_whole_round(client, shan):
    response = post(client, encoded(round_payload(players=(("alice", "10"), ("bob", "20")))))

    assert response.status_code == 404
    assert response.json()["code"] == "PLAYER_NOT_FOUND"
    assert not Transfer.objects.exists()
    assert not ShanSettlement.objects.exists()
    # The provider does not send it again: staff are told, or the round is lost.
    [notice] = Notification.objects.filter(user=None, title__contains="w-1")
    assert "bob" in notice.message


@pytest.mark.parametrize("balance", ["-1", '"abc"', "1.005", "true", "null"])
def test_an_invalid_balance_rejects_the_round(client, shan, balance):
    payload = round_payload()
    body = encoded(payload).replace(b'"balance":1150.50', b'"balance":' + balance.encode())
    as_dict = signature.parse_preserving_numbers(body)
    body = signature.signed_body(SECRET, as_dict)  # correctly signed, wrong content

    response = post(client, body)

    assert response.status_code in (400, 422)
    assert response.json()["code"] == "INVALID_REQUEST_DATA"
    assert not Transfer.objects.exists()


def with_signature(body: bytes, value: bytes) -> bytes:
    return re.sub(rb'"signature":"[^"]*"', b'"signature":"' + value + b'"', body)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda body: body.replace(b"1150.50", b"1150.51"),
        lambda body: with_signature(body, b"0" + body[-34:-2]),
        lambda body: with_signature(body, b"zz" * 16),
        lambda body: with_signature(body, b""),
    ],
    ids=["changed amount", "wrong length", "garbage", "empty"],
)
def test_a_bad_signature_is_refused(client, shan, mutate):
    response = post(client, mutate(encoded(round_payload())))

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert not Transfer.objects.exists()
    assert WebhookDelivery.objects.get().signature_valid is False


def test_the_wrong_secret_and_a_missing_signature_are_refused(client, shan):
    wrong = post(client, encoded(round_payload(), secret="other"))
    body = json.loads(encoded(round_payload()))
    del body["signature"]
    missing = post(client, json.dumps(body).encode())

    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert not Transfer.objects.exists()


def test_without_a_secret_every_call_is_refused(client, shan):
    shan.SHAN_SECRET_KEY = ""

    response = post(client, encoded(round_payload()))

    assert response.status_code == 503
    assert response.json()["code"] == "NOT_CONFIGURED"


def test_the_transaction_key_is_checked_when_configured(client, shan):
    shan.SHAN_TRANSACTION_KEY = "tx-key"
    body = encoded(round_payload())

    refused = post(client, body, HTTP_X_TRANSACTION_KEY="nope")
    accepted = post(client, body, HTTP_X_TRANSACTION_KEY="tx-key")

    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert WebhookDelivery.objects.filter(headers__X_Transaction_Key="[masked]").count() == 0
    assert all(
        d.headers.get("X-Transaction-Key") == "[masked]" for d in WebhookDelivery.objects.all()
    )


def test_a_body_over_the_cap_is_refused_before_anything_else(client, shan):
    body = encoded(round_payload())[:-1] + b', "pad": "' + b"x" * 70_000 + b'"}'

    response = post(client, body)

    assert response.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.REJECTED
    assert delivery.signature_valid is None


def test_malformed_json_is_refused(client, shan):
    response = post(client, b'{"wager_code": ')

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST_DATA"


@pytest.mark.django_db(transaction=True)
def test_five_identical_deliveries_at_once_settle_once(settings):
    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = ""
    mark_launched(User.objects.create_user(username="alice"))
    body = encoded(round_payload())
    barrier = threading.Barrier(5)
    codes = []

    def deliver():
        barrier.wait()
        try:
            codes.append(post(Client(), body).json()["code"])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == ["ALREADY_PROCESSED"] * 4 + ["SUCCESS"]
    assert balances() == (Decimal("1150.50"), Decimal("9849.50"), Decimal("-11000.00"))
    assert ledger_check().ok


def test_a_simulated_round_settles_over_http(live_server, settings):
    from django.core.management import call_command

    from wallets.services import wallet_adjust

    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = "tx-key"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    for name in ("alice", "bob"):
        user = User.objects.create_user(username=name)
        wallet_adjust(wallet=wallet_for_user(user=user), amount=Decimal("5000"), reason="demo")
        mark_launched(user)

    call_command("simulate_shan_round", "--players", "alice,bob", "--bet", "1000", "--seed", "7")

    settlement = ShanSettlement.objects.get()
    alice = wallet_for_user(user=User.objects.get(username="alice")).balance
    bob = wallet_for_user(user=User.objects.get(username="bob")).balance
    bank = system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance
    assert {alice, bob} <= {Decimal("4000.00"), Decimal("6000.00")}
    # what the players win the bank loses (the bank opens at the provider's 1,000,000)
    assert alice + bob + bank == Decimal("1010000.00")
    assert settlement.transfer.legs.count() >= 2
    assert ledger_check().ok
