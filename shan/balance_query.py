"""The Shan provider's balance query (the seed's legacy `batch_requests` shape of its own
`getbalance`): parsing a request and answering each member with the provider's code. The
HTTP view is webhooks/shan_balance.py (it shares the callbacks' body rules)."""

import json
from decimal import Decimal

from django.conf import settings

from providers.shan.signature import RawNumber
from shan.known_balances import shan_player_balances_told
from shan.players import HOUSE_BANK_PLAYER, shan_players
from wallets.models import SystemAccount, Wallet

MAX_MEMBERS = 200
SUCCESS = (0, "Success")
MEMBER_NOT_FOUND = (1000, "Member does not exist")
PROXY_KEY_ERROR = (1002, "Proxy key error")
INVALID_CURRENCY = (2001, "Invalid currency")
INVALID_MEMBER = (2002, "Invalid member account")


class BadBalanceQuery(Exception):
    pass


def shan_balance_query_parse(raw: bytes) -> tuple[list[dict], str]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise BadBalanceQuery("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadBalanceQuery("The body must be a JSON object.")
    batch = body.get("batch_requests")
    if not isinstance(batch, list) or not batch:
        raise BadBalanceQuery("batch_requests must be a non-empty list.")
    if len(batch) > MAX_MEMBERS:
        raise BadBalanceQuery(f"batch_requests may hold at most {MAX_MEMBERS} members.")
    if not all(isinstance(item, dict) for item in batch):
        raise BadBalanceQuery("Each batch request must be an object.")
    currency = body.get("currency")
    if not isinstance(currency, str) or not currency.strip():
        raise BadBalanceQuery("currency is required.")
    return batch, currency.strip().upper()


def _product_code(item: dict):
    code = item.get("product_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return RawNumber(str(code))
    return code if isinstance(code, str) else None


def shan_balance_entry(item: dict, code_message: tuple[int, str], balance: Decimal | None) -> dict:
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
            entries.append(shan_balance_entry(item, INVALID_MEMBER, None))
        elif currency != settings.SHOP_CURRENCY:
            entries.append(shan_balance_entry(item, INVALID_CURRENCY, None))
        elif member == HOUSE_BANK_PLAYER:
            entries.append(
                shan_balance_entry(item, SUCCESS, house_bank.balance if house_bank else Decimal(0))
            )
        elif member in users:
            told[users[member]] = wallets.get(member, Decimal("0.00"))
            entries.append(shan_balance_entry(item, SUCCESS, told[users[member]]))
        else:
            entries.append(shan_balance_entry(item, MEMBER_NOT_FOUND, None))
    shan_player_balances_told(balances=told)
    return entries
