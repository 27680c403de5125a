"""The boundary between the shop and its upstream providers: plain dataclasses, no ORM.

Adapters (the providers issue) return `ProviderResult`; callbacks and polls hand the same
shape to `orders.services.order_apply_provider_update`.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class ProviderStatus(StrEnum):
    SUCCESS = "SUCCESS"  # delivered: vouchers or a serial number
    PENDING = "PENDING"  # accepted, not finished: poll or wait for the callback
    FAILED = "FAILED"  # a definite failure: no goods, safe to refund
    UNKNOWN = "UNKNOWN"  # timeout, connection reset, 5xx: verify by reference, never refund


@dataclass(frozen=True)
class VoucherData:
    code: str = ""
    pin: str = ""
    serial: str = ""
    expires_on: date | None = None
    amount: Decimal | None = None
    provider_voucher_id: str = ""


@dataclass(frozen=True)
class ProviderResult:
    status: ProviderStatus
    provider_order_id: str = ""
    vouchers: list[VoucherData] = field(default_factory=list)
    message: str = ""
    rc: str = ""
    raw: dict = field(default_factory=dict)
