"""Hubble brands as the shop's catalog items, and the checks a brand puts on an order.

A FIXED brand sells each of its denominations (SKU `<brand id>:<denomination>`, cost = the
denomination); a FLEXIBLE brand is one item (SKU `<brand id>`, cost 1 per unit of face value)
sold for any amount in its range.

The cost is the gross (face) amount because that is what Hubble takes from the partner
wallet: "Production: ... Orders are debited at the gross (full) amount"
(https://docs.myhubble.money/api/wallet). A brand's `discountPercentage` is not taken off
the debit, so it is not taken off our cost either (it stays in the brand's raw data).
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from catalog.models import DenominationType, InputSchema
from providers.base import CatalogItem

logger = logging.getLogger(__name__)

CURRENCY = "INR"
ACTIVE = "ACTIVE"
FIXED = "FIXED"
FLEXIBLE = "FLEXIBLE"
COST_STEP = Decimal("0.0001")  # catalog.Product.cost has four decimal places
# What one unit of face value costs us: Hubble debits the gross amount (module docstring).
GROSS_UNIT_COST = Decimal(1)
# How long a process trusts its copy of the brand list when checking an order.
BRAND_CACHE_SECONDS = 600.0


def to_decimal(value) -> Decimal | None:
    """A JSON number or numeric string as Decimal (via str, never through float maths)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_amount(amount: Decimal) -> str:
    """500 for 500.00, 99.5 for 99.50: how an amount reads in a SKU or a name."""
    return format(amount.normalize(), "f")


def brand_denominations(brand: dict) -> list[Decimal]:
    restrictions = brand.get("amountRestrictions") or {}
    values = {to_decimal(item) for item in restrictions.get("denominations") or []}
    return sorted(value for value in values if value is not None and value > 0)


def flexible_range(brand: dict) -> tuple[Decimal | None, Decimal | None]:
    """The face amounts one voucher of a FLEXIBLE brand may have: the voucher range,
    narrowed by the order range (we always buy one voucher)."""
    restrictions = brand.get("amountRestrictions") or {}
    lows = [to_decimal(restrictions.get(key)) for key in ("minVoucherAmount", "minOrderAmount")]
    highs = [to_decimal(restrictions.get(key)) for key in ("maxVoucherAmount", "maxOrderAmount")]
    lows = [value for value in lows if value is not None]
    highs = [value for value in highs if value is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def brand_catalog_items(brand: dict) -> list[CatalogItem]:
    """The catalog items of one Brand object (none when it cannot be sold as described)."""
    brand_id = str(brand.get("id") or "")
    if not brand_id:
        return []
    title = str(brand.get("title") or brand_id)
    unit_cost = GROSS_UNIT_COST
    categories = brand.get("category") or []
    common = {
        "brand": title,
        "category": str(categories[0]) if categories else "",
        "currency": CURRENCY,
        "active": brand.get("status") == ACTIVE,
        "description": str(brand.get("brandDescription") or ""),
        "brand_image_url": str(brand.get("logoUrl") or brand.get("iconImageUrl") or ""),
        "input_schema": InputSchema.EMAIL.value,
        "raw": brand,
    }
    if brand.get("denominationType") == FLEXIBLE:
        low, high = flexible_range(brand)
        if low is None or high is None or low > high:
            logger.warning("hubble: FLEXIBLE brand %s has no usable amount range", brand_id)
            return []
        return [
            CatalogItem(
                sku=brand_id,
                name=title,
                cost=unit_cost.quantize(COST_STEP),
                denomination_type=DenominationType.FLEXIBLE.value,
                min_amount=low,
                max_amount=high,
                **common,
            )
        ]
    return [
        CatalogItem(
            sku=f"{brand_id}:{format_amount(denomination)}",
            name=f"{title} {format_amount(denomination)} {CURRENCY}",
            cost=(denomination * unit_cost).quantize(COST_STEP),
            denomination_type=DenominationType.FIXED.value,
            **common,
        )
        for denomination in brand_denominations(brand)
    ]


def order_problem(brand: dict, amount: Decimal) -> tuple[str, str] | None:
    """(E-code, message) when Hubble would refuse one voucher of `amount` for `brand`,
    else None. Codes as Hubble documents them; E157 ("other order validation errors") for
    the order range, which has no code of its own (inferred)."""
    if brand.get("status") != ACTIVE:
        return "E102", f"brand {brand.get('id')} is not active"
    if brand.get("denominationType") == FLEXIBLE:
        low, high = flexible_range(brand)
        if (low is not None and amount < low) or (high is not None and amount > high):
            return "E155", f"amount {amount} is outside {low} to {high}"
        return None
    denominations = brand_denominations(brand)
    if amount not in denominations:
        listed = ", ".join(format_amount(value) for value in denominations)
        return "E150", f"denomination {amount} is not available (available: {listed})"
    restrictions = brand.get("amountRestrictions") or {}
    low = to_decimal(restrictions.get("minOrderAmount"))
    high = to_decimal(restrictions.get("maxOrderAmount"))
    if (low is not None and amount < low) or (high is not None and amount > high):
        return "E157", f"order amount {amount} is outside {low} to {high}"
    return None


class BrandDirectory:
    """Brands by id for one Hubble account, kept per process for BRAND_CACHE_SECONDS.

    `get` loads the whole brand list (all pages) when the copy is missing, old, or lacks the
    id asked for (a brand added since); errors of that load propagate to the caller.
    """

    _copies: dict[str, tuple[float, dict[str, dict]]] = {}
    _lock = threading.Lock()

    def __init__(self, *, key: str, load: Callable[[], Iterable[dict]]):
        self.key = key
        self._load = load

    def get(self, brand_id: str) -> dict | None:
        brands = self._fresh_copy()
        if brands is not None and brand_id in brands:
            return brands[brand_id]
        return self.remember(self._load()).get(brand_id)

    def remember(self, brands: Iterable[dict]) -> dict[str, dict]:
        by_id = {str(brand.get("id")): brand for brand in brands if brand.get("id")}
        with self._lock:
            self._copies[self.key] = (time.monotonic(), by_id)
        return by_id

    @classmethod
    def forget_all(cls) -> None:
        with cls._lock:
            cls._copies.clear()

    def _fresh_copy(self) -> dict[str, dict] | None:
        with self._lock:
            copy = self._copies.get(self.key)
        if copy is None or time.monotonic() - copy[0] > BRAND_CACHE_SECONDS:
            return None
        return copy[1]
