"""The Shan provider, simulated: plays a round against the house bank (SKP0101) and sends
the signed balance-update callback exactly as the provider does (PHP json_encode rules,
HMAC-MD5, keys sorted, `X-Transaction-Key` when configured)."""

import logging
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from providers.shan import signature
from wallets.models import SystemAccount
from wallets.services import system_wallet, wallet_for_user

logger = logging.getLogger(__name__)

HOUSE_BANK = "SKP0101"
GAME_TYPE_ID = 15
HOUSE_BANK_OPENING_BALANCE = Decimal("1000000")
CALLBACK_PATH = "/api/shan/client/balance-update"


@dataclass(frozen=True)
class RoundResult:
    wager_code: str
    body: bytes
    status_code: int | None
    reply: dict | str


def _raw(amount: Decimal) -> signature.RawNumber:
    """json_encode writes a float with no fraction as an integer: 9850.0 → 9850."""
    text = format(amount.normalize(), "f")
    return signature.RawNumber(text)


def round_payload(*, player_names: list[str], bet: Decimal, rng: random.Random) -> dict:
    """One round: each player wins or loses `bet` (capped by their balance) against the bank."""
    User = get_user_model()
    # The provider's bank has money of its own; a fresh shop mirrors it on the first round.
    bank_balance = system_wallet(SystemAccount.SHAN_HOUSE_BANK).balance
    if bank_balance <= 0:
        bank_balance = HOUSE_BANK_OPENING_BALANCE
    players = []
    net = Decimal("0")
    for name in player_names:
        user = User.objects.get(username=name)
        balance = wallet_for_user(user=user).balance
        stake = min(bet, balance)
        change = stake if rng.random() < 0.5 else -stake
        players.append({"player_id": name, "balance": _raw(balance + change)})
        net += change
    bank_after = bank_balance - net
    players.append({"player_id": HOUSE_BANK, "balance": _raw(bank_after)})
    return {
        "wager_code": uuid.uuid4().hex[:16],
        "game_type_id": signature.RawNumber(str(GAME_TYPE_ID)),
        "players": players,
        "banker_balance": _raw(bank_after),
        "agent_balance": _raw(bank_after),
        "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "total_player_net": _raw(net),
        "banker_amount_change": _raw(-net),
    }


def simulate_shan_round(
    *, player_names: list[str], bet: Decimal = Decimal("1000"), seed: int | None = None
) -> RoundResult:
    """Play one round and POST its callback to the shop over HTTP."""
    payload = round_payload(player_names=player_names, bet=bet, rng=random.Random(seed))
    body = signature.signed_body(settings.SHAN_SECRET_KEY, payload)
    headers = {"Content-Type": "application/json"}
    if settings.SHAN_TRANSACTION_KEY:
        headers["X-Transaction-Key"] = settings.SHAN_TRANSACTION_KEY
    url = settings.SIMULATOR_CALLBACK_BASE_URL.rstrip("/") + CALLBACK_PATH
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        return RoundResult(payload["wager_code"], body, None, str(exc))
    try:
        reply = response.json()
    except ValueError:
        reply = response.text
    return RoundResult(payload["wager_code"], body, response.status_code, reply)
