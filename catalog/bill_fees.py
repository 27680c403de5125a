"""Our fee on a postpaid bill (docs/bills.md, "Fees"): read from the pricing rules."""

from decimal import Decimal

from catalog.models import Product
from catalog.selectors import pricing_rule_for
from shop.money import quantize


def bill_service_fee(*, product: Product, tier: str) -> Decimal | None:
    """The shop's fee on one bill of `product`'s type at `tier`: the flat amount of the rule
    that would price the product (product, brand, category, then global: the most specific
    wins; a category rule per bill type is the usual shape). A bill's amount is the
    biller's, so the rule's percent, rounding step and minimum margin do not apply.
    None when no rule matches: the bill type is not for sale at that tier."""
    rule = pricing_rule_for(product=product, tier=tier)
    return None if rule is None else quantize(max(rule.flat_amount, Decimal("0")))
