"""Postpaid bills at the provider boundary: what an inquiry tells (plain dataclasses), and
which provider can tell it (docs/bills.md).

A bill is inquired with the order's code as the provider's reference; the payment is the
order's placement (`UpstreamAdapter.place_order` of an `OrderRequest` with `postpaid=True`),
so the pipeline, its PendingRule and the money rule apply to bills unchanged.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.module_loading import import_string

from providers.base import NotConfigured

BILL_ADAPTERS = {
    "digiflazz": "providers.digiflazz.postpaid.DigiflazzPostpaid",
}


@dataclass(frozen=True)
class BillPeriod:
    """One period (month) of a bill as the provider itemises it."""

    period: str
    amount: Decimal
    penalty: Decimal = Decimal("0")
    admin: Decimal = Decimal("0")
    meter_start: str = ""
    meter_end: str = ""


@dataclass(frozen=True)
class BillInquiry:
    """A bill as the provider showed it for `reference`: the amount to pay is fixed by it.

    `bill_amount` is the bill (periods and penalties), `admin_fee` the provider's admin fee;
    `cost` is what the provider takes from our deposit to pay it."""

    reference: str
    sku: str
    customer_no: str
    customer_name: str
    bill_amount: Decimal
    admin_fee: Decimal
    cost: Decimal
    periods: tuple[BillPeriod, ...] = ()
    details: dict = field(default_factory=dict)  # per bill type: tariff, power, address…
    raw: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        """What the order keeps of the bill (strings for the amounts: JSON has no Decimal)."""
        return {
            "customer_name": self.customer_name,
            "bill_amount": str(self.bill_amount),
            "admin_fee": str(self.admin_fee),
            "periods": [
                {
                    "period": p.period,
                    "amount": str(p.amount),
                    "penalty": str(p.penalty),
                    "admin": str(p.admin),
                    "meter_start": p.meter_start,
                    "meter_end": p.meter_end,
                }
                for p in self.periods
            ],
            "details": self.details,
        }


def get_bill_adapter(code: str):
    """The bill adapter of provider `code` (inquire, fetch_bill_catalog); NotConfigured when
    the provider pays no bills or its credentials are missing."""
    if code not in BILL_ADAPTERS:
        raise NotConfigured(f"{code} pays no postpaid bills", code="no_bills")
    return import_string(BILL_ADAPTERS[code]).from_settings()
