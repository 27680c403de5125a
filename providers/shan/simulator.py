"""The Shan provider, simulated: plays a round against the house bank (SKP0101) and sends
the signed balance-update callback exactly as the provider does (PHP json_encode rules,
HMAC-MD5, keys sorted, `X-Transaction-Key` when configured)."""

import logging
import random
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from providers.models import SimulatedOrder
from providers.shan import signature
from providers.simulators import Scenario, scenario_for
from shop.money import format_money
from wallets.models import SystemAccount, Wallet

logger = logging.getLogger(__name__)

HOUSE_BANK = "SKP0101"
GAME_TYPE_ID = 15
HOUSE_BANK_OPENING_BALANCE = Decimal("1000000")
CALLBACK_PATH = "/api/shan/client/balance-update"
SESSION_PROVIDER = "shan"


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


def house_bank_balance() -> Decimal:
    """The bank's balance: the provider's bank has money of its own, which the shop mirrors in
    its house-bank wallet; a fresh shop starts it at HOUSE_BANK_OPENING_BALANCE. Read only."""
    wallet = Wallet.objects.filter(
        system_code=SystemAccount.SHAN_HOUSE_BANK, currency=settings.SHOP_CURRENCY
    ).first()
    if wallet is None or wallet.balance <= 0:
        return HOUSE_BANK_OPENING_BALANCE
    return wallet.balance


def round_build(
    *, balances: dict[str, Decimal], wins: dict[str, bool], bet: Decimal, bank_balance: Decimal
) -> dict:
    """One round's callback payload (unsigned): each player wins or loses `bet` (capped by
    their balance) against the house bank SKP0101, whose balance takes the opposite."""
    players = []
    net = Decimal("0")
    for name, balance in balances.items():
        stake = min(bet, balance)
        change = stake if wins[name] else -stake
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


def round_payload(*, player_names: list[str], bet: Decimal, rng: random.Random) -> dict:
    """One round for shop users, each with their shop wallet balance, outcomes from `rng`."""
    User = get_user_model()
    balances = {}
    for name in player_names:
        user = User.objects.get(username=name)
        wallet = Wallet.objects.filter(user=user, currency=settings.SHOP_CURRENCY).first()
        balances[name] = wallet.balance if wallet is not None else Decimal("0")
    wins = {name: rng.random() < 0.5 for name in player_names}
    return round_build(balances=balances, wins=wins, bet=bet, bank_balance=house_bank_balance())


def callback_target(callback_url: str) -> str:
    """Where balance updates go (the seed's priority rules): the URL given at launch, else the
    simulators' callback base; a base gets `/api/shan/client/balance-update` appended."""
    url = (callback_url or settings.SIMULATOR_CALLBACK_BASE_URL).rstrip("/")
    if url.endswith(CALLBACK_PATH):
        return url
    return url + CALLBACK_PATH


def round_send(*, payload: dict, callback_url: str = "") -> RoundResult:
    """Sign `payload` as the provider does and POST it to the shop."""
    body = signature.signed_body(settings.SHAN_SECRET_KEY, payload)
    headers = {"Content-Type": "application/json"}
    if settings.SHAN_TRANSACTION_KEY:
        headers["X-Transaction-Key"] = settings.SHAN_TRANSACTION_KEY
    url = callback_target(callback_url)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        return RoundResult(payload["wager_code"], body, None, str(exc))
    try:
        reply = response.json()
    except ValueError:
        reply = response.text
    return RoundResult(payload["wager_code"], body, response.status_code, reply)


def simulate_shan_round(
    *, player_names: list[str], bet: Decimal = Decimal("1000"), seed: int | None = None
) -> RoundResult:
    """Play one round and POST its callback to the shop over HTTP."""
    payload = round_payload(player_names=player_names, bet=bet, rng=random.Random(seed))
    return round_send(payload=payload)


# --- The simulated provider's game: launch, then rounds on its game page ----------------------
# A launch stores the player's session (a SimulatedOrder, reference = member_account): the
# balance the shop sent, the callback URL, and a fresh token that the game URL carries.


class LaunchRefused(Exception):
    """What the provider answers instead of a game URL: HTTP status and body."""

    def __init__(self, status: int, body: dict):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def _launch_errors(body: dict) -> dict[str, list[str]]:
    """Laravel-style validation of a launch request, as the provider answers 422."""
    errors: dict[str, list[str]] = {}

    def required_string(field: str, max_length: int = 255) -> None:
        value = body.get(field)
        if value in (None, ""):
            errors[field] = [f"The {field.replace('_', ' ')} field is required."]
        elif not isinstance(value, str):
            errors[field] = [f"The {field.replace('_', ' ')} must be a string."]
        elif len(value) > max_length:
            errors[field] = [f"The {field.replace('_', ' ')} may not be greater than {max_length}."]

    required_string("agent_code")
    required_string("game_type")
    required_string("member_account", 100)
    product_code = body.get("product_code")
    if product_code in (None, ""):
        errors["product_code"] = ["The product code field is required."]
    elif not isinstance(product_code, int) or isinstance(product_code, bool):
        errors["product_code"] = ["The product code must be an integer."]
    balance = body.get("balance")
    if balance in (None, ""):
        errors["balance"] = ["The balance field is required."]
    elif not isinstance(balance, int | float | str) or isinstance(balance, bool):
        errors["balance"] = ["The balance must be a number."]
    else:
        try:
            if Decimal(str(balance)) < 0:
                errors["balance"] = ["The balance must be at least 0."]
        except ArithmeticError:
            errors["balance"] = ["The balance must be a number."]
    for field in ("nickname", "callback_url"):
        if body.get(field) not in (None, "") and not isinstance(body.get(field), str):
            errors[field] = [f"The {field.replace('_', ' ')} must be a string."]
    callback_url = body.get("callback_url")
    if isinstance(callback_url, str) and callback_url:
        if not callback_url.startswith(("http://", "https://")):
            errors["callback_url"] = ["The callback url format is invalid."]
    return errors


def sim_launch(*, body: dict) -> SimulatedOrder:
    """Start (or restart) a player's session from a launch request; LaunchRefused otherwise.

    Member accounts ending in 95 get the provider's 500 "Launch failed" (simulators.py)."""
    errors = _launch_errors(body)
    if errors:
        raise LaunchRefused(422, {"code": 422, "message": "Validation failed", "errors": errors})
    if body["agent_code"] != settings.SHAN_AGENT_CODE:
        raise LaunchRefused(404, {"code": 404, "message": "Agent not found"})
    member_account = body["member_account"]
    if scenario_for(member_account) == Scenario.SERVER_ERROR:
        raise LaunchRefused(500, {"code": 500, "message": "Launch failed"})
    balance = Decimal(str(body["balance"])).quantize(Decimal("0.01"))
    session, _ = SimulatedOrder.objects.update_or_create(
        provider=SESSION_PROVIDER,
        reference=member_account,
        defaults={
            "external_id": secrets.token_urlsafe(16),
            "status": "playing",
            "request": body,
            "state": {
                "balance": str(balance),
                "nickname": body.get("nickname") or member_account,
                "rounds": [],
            },
            "callback_url": body.get("callback_url") or "",
        },
    )
    return session


def sim_session(token: str) -> SimulatedOrder | None:
    return SimulatedOrder.objects.filter(provider=SESSION_PROVIDER, external_id=token).first()


class RoundRefused(Exception):
    """The game page refuses the round (bad bet): nothing is sent."""


@dataclass(frozen=True)
class PlayedRound:
    wager_code: str
    won: bool
    bet: Decimal
    balance_before: Decimal
    balance_after: Decimal
    delivered: bool  # the shop answered 200
    reply: dict | str


def sim_play_round(
    *, session: SimulatedOrder, bet: Decimal, result: str = "", rng: random.Random | None = None
) -> PlayedRound:
    """Play one round for the session's player against the bank and send the signed
    callback to the URL given at launch. `result` "win" or "lose" fixes the outcome (tests);
    anything else draws it. The session's balance moves only when the shop accepted."""
    balance = Decimal(session.state["balance"])
    if bet <= 0:
        raise RoundRefused("The bet must be more than 0.")
    if bet > balance:
        raise RoundRefused(f"The bet is more than your balance ({format_money(balance)}).")
    won = result == "win" if result in ("win", "lose") else (rng or random.Random()).random() < 0.5
    name = session.reference
    payload = round_build(
        balances={name: balance}, wins={name: won}, bet=bet, bank_balance=house_bank_balance()
    )
    sent = round_send(payload=payload, callback_url=session.callback_url)
    after = balance + bet if won else balance - bet
    delivered = sent.status_code == 200
    played = PlayedRound(sent.wager_code, won, bet, balance, after, delivered, sent.reply)
    if delivered:
        session.state["balance"] = str(after)
    rounds = session.state.get("rounds", [])
    rounds.insert(
        0,
        {
            "wager_code": sent.wager_code,
            "won": won,
            "bet": str(bet),
            "balance_after": str(after if delivered else balance),
            "delivered": delivered,
            "reply": sent.reply if isinstance(sent.reply, dict) else str(sent.reply)[:200],
        },
    )
    session.state["rounds"] = rounds[:20]
    session.save(update_fields=["state", "updated_at"])
    return played
