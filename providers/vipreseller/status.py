"""VIP Reseller's transaction statuses: the one table that turns them into a ProviderStatus.

Sources (docs/providers/vipreseller.md): the game-feature documentation's examples carry
`waiting` (the order reply), `success` and `error` (with a `note` such as "Zone tujuan
salah."); `processing` is the documented state in between. Only `error` is final failure:
it is the one answer that may refund an order. `waiting`, `processing` and any status not
in the table are never a reason to refund: an unlisted status is UNKNOWN, so the order keeps
being asked about and goes to a person at the deadline.

A reply with `"result": false` is VIP refusing the request itself (no transaction was
made); `refusal_kind` reads its message. The messages are not documented as codes, so the
table matches words of the Indonesian texts VIP and public client code show (inferred; an
unmatched refusal is an ordinary supplier refusal).
"""

from dataclasses import dataclass

from providers.base import FailureKind, ProviderStatus


@dataclass(frozen=True)
class StatusRule:
    status: ProviderStatus
    meaning: str


SUCCESS, PENDING, FAILED = ProviderStatus.SUCCESS, ProviderStatus.PENDING, ProviderStatus.FAILED
UNKNOWN = ProviderStatus.UNKNOWN

STATUS_TABLE: dict[str, StatusRule] = {
    "waiting": StatusRule(PENDING, "accepted, waiting to be processed"),
    "processing": StatusRule(PENDING, "being processed"),
    "success": StatusRule(SUCCESS, "delivered to the account"),
    "error": StatusRule(FAILED, "failed; VIP returns the price to our balance"),
}


def transaction_status(status: str) -> ProviderStatus:
    """The ProviderStatus of a VIP transaction status (case-insensitive); UNKNOWN for one
    outside the table (never FAILED: only `error` refunds)."""
    rule = STATUS_TABLE.get((status or "").strip().lower())
    return rule.status if rule is not None else UNKNOWN


# Words of a refusal (`result: false`) or an `error` note → what the buyer is told.
# Our own balance at VIP ran out: "Saldo tidak mencukupi" / "Saldo anda tidak cukup".
_OUT_OF_BALANCE_WORDS = ("saldo",)
_ACCOUNT_WORDS = ("tujuan salah", "tidak ditemukan", "id salah", "zone salah", "invalid id")
_UNAVAILABLE_WORDS = ("gangguan", "tidak tersedia", "kosong", "empty", "maintenance", "layanan")


def is_out_of_balance(message: str) -> bool:
    """Whether VIP refused an order for lack of our own balance there."""
    text = (message or "").lower()
    return any(word in text for word in _OUT_OF_BALANCE_WORDS)


def failure_kind(message: str) -> str:
    """The FailureKind of a refusal or a failed transaction from its message or note: the
    buyer's account (a wrong id or zone), the product unavailable (disrupted, out of stock,
    our balance there empty), else the supplier."""
    text = (message or "").lower()
    if is_out_of_balance(text):
        return FailureKind.UNAVAILABLE
    if any(word in text for word in _ACCOUNT_WORDS):
        return FailureKind.ACCOUNT
    if any(word in text for word in _UNAVAILABLE_WORDS):
        return FailureKind.UNAVAILABLE
    return FailureKind.SUPPLIER
