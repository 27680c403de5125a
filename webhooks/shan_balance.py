"""POST /api/shan/balance: the Shan provider asks for its players' balances (the seed's
legacy balance query, in the `batch_requests` shape of the provider's own `getbalance`).

Request: `{"batch_requests": [{"member_account", "product_code"}], "operator_code",
"currency"}`. Reply: `{"status": "Request was successful.", "message": "Balance retrieved
successfully", "data": [{"member_account", "product_code", "balance", "code", "message"}]}`,
one entry per request, each with the provider's code: 0 success, 1000 member does not exist,
2001 invalid currency, 2002 invalid member account. `X-Transaction-Key` must match
`SHAN_TRANSACTION_KEY` (else HTTP 401, each member 1002 proxy key error); without that key
the query is refused (HTTP 503), except with the simulators on.

It never creates a wallet; its one write records the balances it told
(`ShanPlayerBalance`), which the next settlement moves the wallets from.

It is its own view, not a CallbackProtocol: it is a query answered at once, not a callback
that reports a change, so nothing is stored as a WebhookDelivery and there is nothing to
re-apply (`delivery_process` is for stored callbacks only). It shares the body cap and the
chunked-body rule (`read_callback_body`) with the callbacks.
"""

import hmac
import json
import logging
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.shan.players import HOUSE_BANK_PLAYER, shan_players
from providers.shan.signature import RawNumber, php_json_encode
from wallets.models import SystemAccount, Wallet
from wallets.services import shan_player_balances_told
from webhooks.body import read_callback_body

logger = logging.getLogger(__name__)

MAX_MEMBERS = 200
SUCCESS = (0, "Success")
MEMBER_NOT_FOUND = (1000, "Member does not exist")
PROXY_KEY_ERROR = (1002, "Proxy key error")
INVALID_CURRENCY = (2001, "Invalid currency")
INVALID_MEMBER = (2002, "Invalid member account")


class BadQuery(Exception):
    pass


def _reply(status: int, body: dict) -> HttpResponse:
    # Balances as exact decimal numbers (never through float).
    return HttpResponse(php_json_encode(body), status=status, content_type="application/json")


def _error(status: int, message: str) -> HttpResponse:
    return _reply(status, {"status": "error", "message": message, "data": []})


def _parse(raw: bytes) -> tuple[list[dict], str]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise BadQuery("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadQuery("The body must be a JSON object.")
    batch = body.get("batch_requests")
    if not isinstance(batch, list) or not batch:
        raise BadQuery("batch_requests must be a non-empty list.")
    if len(batch) > MAX_MEMBERS:
        raise BadQuery(f"batch_requests may hold at most {MAX_MEMBERS} members.")
    if not all(isinstance(item, dict) for item in batch):
        raise BadQuery("Each batch request must be an object.")
    currency = body.get("currency")
    if not isinstance(currency, str) or not currency.strip():
        raise BadQuery("currency is required.")
    return batch, currency.strip().upper()


def _product_code(item: dict):
    code = item.get("product_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return RawNumber(str(code))
    return code if isinstance(code, str) else None


def _entry(item: dict, code_message: tuple[int, str], balance: Decimal | None) -> dict:
    member = item.get("member_account")
    code, message = code_message
    return {
        "member_account": member if isinstance(member, str) else None,
        "product_code": _product_code(item),
        "balance": RawNumber(format(balance, "f")) if balance is not None else RawNumber("0"),
        "code": RawNumber(str(code)),
        "message": message,
    }


def shan_member_balances(*, batch: list[dict], currency: str) -> list[dict]:
    """Each requested member's balance with the provider's per-member code; the balances
    told are recorded as what the provider now knows (`ShanPlayerBalance`). Only players
    who launched the game through the shop are members (`shan_players`); anyone else,
    staff included, does not exist for the provider. SKP0101 is the house bank."""
    names = {
        item["member_account"]
        for item in batch
        if isinstance(item.get("member_account"), str) and item["member_account"]
    }
    wallets = {
        wallet.user.get_username(): wallet.balance
        for wallet in Wallet.objects.filter(
            user__username__in=names, currency=settings.SHOP_CURRENCY
        ).select_related("user")
    }
    users = {name: user.pk for name, user in shan_players(names=names).items()}
    house_bank = Wallet.objects.filter(
        system_code=SystemAccount.SHAN_HOUSE_BANK, currency=settings.SHOP_CURRENCY
    ).first()
    entries, told = [], {}
    for item in batch:
        member = item.get("member_account")
        if not isinstance(member, str) or not member.strip() or len(member) > 150:
            entries.append(_entry(item, INVALID_MEMBER, None))
        elif currency != settings.SHOP_CURRENCY:
            entries.append(_entry(item, INVALID_CURRENCY, None))
        elif member == HOUSE_BANK_PLAYER:
            entries.append(_entry(item, SUCCESS, house_bank.balance if house_bank else Decimal(0)))
        elif member in users:
            told[users[member]] = wallets.get(member, Decimal("0.00"))
            entries.append(_entry(item, SUCCESS, told[users[member]]))
        else:
            entries.append(_entry(item, MEMBER_NOT_FOUND, None))
    shan_player_balances_told(balances=told)
    return entries


@csrf_exempt
@require_POST
def shan_balance_view(request: HttpRequest) -> HttpResponse:
    body = read_callback_body(request, cap=settings.WEBHOOK_MAX_BODY_BYTES)
    if body.refusal is not None:
        status, _code, message = body.refusal
        return _error(status, message)
    raw = body.raw
    expected_key = settings.SHAN_TRANSACTION_KEY
    if not expected_key and not settings.SIMULATORS_ENABLED:
        # Balances are private: without a key to check, nobody may read them.
        return _error(503, "The balance query is not configured (SHAN_TRANSACTION_KEY).")
    given_key = request.headers.get("X-Transaction-Key", "")
    if expected_key and not hmac.compare_digest(given_key.encode(), expected_key.encode()):
        logger.warning("Shan balance query with a wrong X-Transaction-Key")
        try:
            batch, _ = _parse(raw)
        except BadQuery:
            batch = []
        return _reply(
            401,
            {
                "status": "error",
                "message": "Invalid X-Transaction-Key.",
                "data": [_entry(item, PROXY_KEY_ERROR, None) for item in batch],
            },
        )
    try:
        batch, currency = _parse(raw)
    except BadQuery as exc:
        return _error(400, f"Invalid request data: {exc}")
    return _reply(
        200,
        {
            "status": "Request was successful.",
            "message": "Balance retrieved successfully",
            "data": shan_member_balances(batch=batch, currency=currency),
        },
    )
