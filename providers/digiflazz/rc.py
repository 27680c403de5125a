"""Digiflazz response codes (`rc`): the one table that turns a reply into a ProviderStatus.

Sources: docs/providers/digiflazz.md and Digiflazz's public response-code list. The seed's own
table (01 = pending, 201/202) is an older reading; where rc and the reply's `status`
("Sukses" / "Pending" / "Gagal") disagree, `status` is the truth, with one exception below.

Why some rcs are not FAILED although Digiflazz says "Gagal" for them:
- 85 (transaction rate limit, "retry in a minute"): Digiflazz refused the request before
  creating a transaction, and the same ref_id may be posted again. FAILED would refund and
  end an order that a re-post a minute later would deliver; UNKNOWN keeps the order in
  `processing`, refunds nothing, and the pipeline's verification re-posts the same ref_id
  (which is Digiflazz's status check and never creates a second transaction).
- 49 (ref_id not unique): a transaction with our ref_id already exists under our account,
  and this reply does not say how it ended. Refunding could pay back goods that were
  delivered, so it is UNKNOWN: verification (re-posting the identical body) or a person
  settles it.
- 50 (transaction not found): nothing exists under this ref_id: NOT_FOUND for a status
  check (it may be placed again); place_order turns it into FAILED (nothing to deliver).
For these three the "Gagal" in the reply describes the request, not a transaction, so the
rc wins over `status` unless `status` says "Sukses" or "Pending" (then a transaction exists).

Every other rejection (40-45, 47, 51-87) comes before or instead of a transaction: FAILED
is safe (no goods, refund). 44 also marks the provider's own balance as exhausted.
83 (price-list rate limit: the full list at most once per 5 minutes) only answers
/price-list; the adapter treats it as a transient error there, never on an order.
"""

import json
from dataclasses import dataclass

from providers.base import FailureKind, ProviderStatus


@dataclass(frozen=True)
class RcRule:
    status: ProviderStatus
    meaning: str
    out_of_balance: bool = False


SUCCESS, PENDING, FAILED = ProviderStatus.SUCCESS, ProviderStatus.PENDING, ProviderStatus.FAILED
UNKNOWN, NOT_FOUND = ProviderStatus.UNKNOWN, ProviderStatus.NOT_FOUND

RC_TABLE: dict[str, RcRule] = {
    "00": RcRule(SUCCESS, "success"),
    "01": RcRule(FAILED, "timeout (failed)"),
    "02": RcRule(FAILED, "transaction failed"),
    "03": RcRule(PENDING, "pending"),
    "40": RcRule(FAILED, "payload error"),
    "41": RcRule(FAILED, "invalid signature"),
    "42": RcRule(FAILED, "bad username / buyer API error"),
    "43": RcRule(FAILED, "SKU not found or inactive"),
    "44": RcRule(FAILED, "insufficient balance", out_of_balance=True),
    "45": RcRule(FAILED, "IP not recognised"),
    "47": RcRule(FAILED, "transaction exists at another buyer"),
    "49": RcRule(UNKNOWN, "ref_id not unique"),
    "50": RcRule(NOT_FOUND, "transaction not found"),
    "51": RcRule(FAILED, "destination number blocked"),
    "52": RcRule(FAILED, "prefix does not match the operator"),
    "53": RcRule(FAILED, "seller product unavailable"),
    "54": RcRule(FAILED, "wrong destination number"),
    "55": RcRule(FAILED, "product disrupted"),
    "56": RcRule(FAILED, "seller balance limit"),
    "57": RcRule(FAILED, "wrong number of digits"),
    "58": RcRule(FAILED, "cut-off"),
    "59": RcRule(FAILED, "destination out of area"),
    "60": RcRule(FAILED, "bill not available"),
    "61": RcRule(FAILED, "no deposit made yet"),
    "62": RcRule(FAILED, "seller disrupted"),
    "63": RcRule(FAILED, "multi transactions not supported"),
    "64": RcRule(FAILED, "ticket failed"),
    "65": RcRule(FAILED, "multi transaction limit"),
    "66": RcRule(FAILED, "seller maintenance cut-off"),
    "67": RcRule(FAILED, "seller unverified"),
    "68": RcRule(FAILED, "out of stock"),
    "69": RcRule(FAILED, "seller price above max_price"),
    "70": RcRule(FAILED, "biller timeout"),
    "71": RcRule(FAILED, "product unstable"),
    "72": RcRule(FAILED, "unregister the package first"),
    "73": RcRule(FAILED, "kWh above the limit"),
    "74": RcRule(FAILED, "refunded"),
    "80": RcRule(FAILED, "account blocked by the seller"),
    "81": RcRule(FAILED, "seller blocked by you"),
    "82": RcRule(FAILED, "account unverified"),
    "83": RcRule(FAILED, "price-list rate limit"),
    "84": RcRule(FAILED, "invalid nominal"),
    "85": RcRule(UNKNOWN, "transaction rate limit: retry in a minute with the same ref_id"),
    "87": RcRule(FAILED, "e-money must be a multiple of 1,000"),
    "99": RcRule(PENDING, "router issue (pending)"),
}

STATUS_TEXT: dict[str, ProviderStatus] = {
    "sukses": SUCCESS,
    "pending": PENDING,
    "gagal": FAILED,
}

PRICE_LIST_RATE_LIMITED = "83"


def transaction_status(rc: str, status_text: str) -> ProviderStatus:
    """The status of a /transaction reply (or callback) with this `rc` and `status`.

    `status` wins over rc, except that "Gagal" does not override an rc that says no
    transaction was settled (49, 50, 85; see the module docstring). An rc outside the table
    is FAILED when `status` is missing, as every undocumented Digiflazz rc is a rejection;
    a reply with neither rc nor status is UNKNOWN.
    """
    rule = RC_TABLE.get(rc)
    said = STATUS_TEXT.get((status_text or "").strip().lower())
    if rule is not None and rule.status in (UNKNOWN, NOT_FOUND) and said in (None, FAILED):
        return rule.status
    if said is not None:
        return said
    if rule is not None:
        return rule.status
    return FAILED if rc else UNKNOWN


def is_out_of_balance(rc: str, status: ProviderStatus) -> bool:
    """Whether a reply says Digiflazz's own deposit ran out (only for a failed transaction)."""
    rule = RC_TABLE.get(rc)
    return status == FAILED and rule is not None and rule.out_of_balance


# What a buyer is told of a failed transaction, by rc (others: FailureKind.SUPPLIER).
_ACCOUNT_RCS = frozenset({"51", "52", "54", "57", "59", "60", "72", "73"})
_UNAVAILABLE_RCS = frozenset({"43", "44", "53", "55", "56", "58", "62", "66", "68", "69", "71"})


def failure_kind(rc: str, status: ProviderStatus) -> str:
    """The FailureKind of a failed transaction with this rc ("" when it did not fail):
    a wrong or blocked number is the buyer's account, a product down or out of stock (or
    our deposit there empty) is unavailable."""
    if status != FAILED:
        return ""
    if rc in _ACCOUNT_RCS:
        return FailureKind.ACCOUNT
    if rc in _UNAVAILABLE_RCS:
        return FailureKind.UNAVAILABLE
    return FailureKind.SUPPLIER


# Answers that say Digiflazz (or the seller behind it) is down, not that one order or one
# buyer's number was refused: counted by the provider's circuit breaker (providers/health.py).
# 62 seller disrupted, 66 seller maintenance, 70 biller timeout.
PROVIDER_FAULT_RCS = frozenset({"62", "66", "70"})


def reply_is_provider_fault(status: int, content: bytes) -> bool:
    """Whether a Digiflazz reply's rc (`{"data": {"rc": …}}`) is one of PROVIDER_FAULT_RCS."""
    if not content or b'"rc"' not in content:
        return False
    try:
        data = json.loads(content).get("data")
    except (ValueError, AttributeError):
        return False
    return isinstance(data, dict) and str(data.get("rc", "")) in PROVIDER_FAULT_RCS
