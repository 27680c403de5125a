"""Hubble's error body and E-code table, and what each error means for an order.

Error body: `{"id": "E150", "code": "...", "message", "requestId", "debugMessage",
"subErrors": [{"fieldName", "message", "debugMessage"}]}`. The HTTP status of each code is
not documented, so the meaning comes from the id: any 4xx with an `E1xx` id is a definite
rejection (no order exists), E300 is the partner wallet running dry, E001 a missing resource.
"""

from dataclasses import dataclass, field

from providers.base import FailureKind, ProviderStatus, TransientProviderError
from providers.http import HttpReply

RESOURCE_NOT_FOUND = "E001"
INSUFFICIENT_BALANCE = "E300"

# The documented ids, with what the shop's staff should read.
ERROR_MESSAGES: dict[str, str] = {
    "E001": "Resource not found",
    "E100": "Brand temporarily disabled",
    "E101": "Brand not enabled for this partner",
    "E102": "Brand not active",
    "E150": "Denomination not available",
    "E151": "Amount does not equal the sum of the denominations",
    "E152": "Maximum denomination exceeded",
    "E153": "Too many denominations in one order",
    "E154": "Too many vouchers for one denomination",
    "E155": "Voucher amount out of the brand's range",
    "E156": "Too many vouchers in one order",
    "E157": "Order validation error",
    "E158": "Order validation error",
    "E159": "Order validation error",
    "E160": "Order validation error",
    "E300": "Insufficient balance in the partner wallet",
}


# Refusals that mean Hubble does not sell the item now (brand off, denomination not
# offered, not in the brand list) or our wallet there is empty: "unavailable" to a buyer.
_UNAVAILABLE_IDS = frozenset({"E001", "E100", "E101", "E102", "E150", "E300"})


def failure_kind(error_id: str) -> str:
    """The FailureKind a buyer is told for a refusal with this E-code."""
    return FailureKind.UNAVAILABLE if error_id in _UNAVAILABLE_IDS else FailureKind.SUPPLIER


@dataclass(frozen=True)
class HubbleError:
    """One error reply, as Hubble sent it."""

    http_status: int
    id: str = ""
    code: str = ""
    message: str = ""
    request_id: str = ""
    debug_message: str = ""
    sub_errors: list = field(default_factory=list)
    body: dict = field(default_factory=dict)

    @property
    def is_order_rejection(self) -> bool:
        """A 4xx with an E1xx id: the order was refused and does not exist."""
        return 400 <= self.http_status < 500 and self.id.startswith("E1")

    @property
    def is_insufficient_balance(self) -> bool:
        return self.id == INSUFFICIENT_BALANCE

    @property
    def is_not_found(self) -> bool:
        return self.id == RESOURCE_NOT_FOUND or (self.http_status == 404 and not self.id)

    def describe(self) -> str:
        """A one-line message for the order log: id, Hubble's message and the field errors."""
        text = self.message or ERROR_MESSAGES.get(self.id, "") or f"HTTP {self.http_status}"
        details = "; ".join(
            f"{sub.get('fieldName', '')}: {sub.get('message', '')}"
            for sub in self.sub_errors
            if isinstance(sub, dict)
        )
        prefix = f"{self.id} " if self.id else ""
        return f"{prefix}{text}" + (f" ({details})" if details else "")


def parse_error(http_status: int, body) -> HubbleError:
    """The error in a reply body; tolerant of bodies that are not Hubble's shape."""
    if not isinstance(body, dict):
        return HubbleError(http_status=http_status)
    sub_errors = body.get("subErrors")
    return HubbleError(
        http_status=http_status,
        id=str(body.get("id") or ""),
        code=str(body.get("code") or ""),
        message=str(body.get("message") or ""),
        request_id=str(body.get("requestId") or ""),
        debug_message=str(body.get("debugMessage") or ""),
        sub_errors=sub_errors if isinstance(sub_errors, list) else [],
        body=body,
    )


def error_from_reply(reply: HttpReply) -> HubbleError:
    """The error in a non-2xx reply, whatever its body (even one that is not JSON)."""
    try:
        body = reply.json()
    except TransientProviderError:
        body = None
    return parse_error(reply.status, body)


def place_order_status(error: HubbleError) -> ProviderStatus:
    """What an error reply to `POST /orders` says about the order.

    FAILED only where the reply proves no order exists (E1xx rejection, E300, E001 unknown
    product); anything else (5xx, 429, an undocumented 4xx) is UNKNOWN: verify by reference.
    """
    if error.is_order_rejection or error.is_insufficient_balance:
        return ProviderStatus.FAILED
    if 400 <= error.http_status < 500 and error.id == RESOURCE_NOT_FOUND:
        return ProviderStatus.FAILED
    return ProviderStatus.UNKNOWN


def order_lookup_status(error: HubbleError) -> ProviderStatus:
    """What an error reply to an order lookup says: a 404 or E001 means Hubble has no such
    order (never placed: the reference may be sent again); anything else is UNKNOWN."""
    if error.http_status == 404 or error.is_not_found:
        return ProviderStatus.NOT_FOUND
    return ProviderStatus.UNKNOWN
