"""The amount rule of a flexible (any-amount) product: the one check every door calls, the
storefront's checkout form and the order services behind it and the reseller API."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.models import Product, ShopItem
from shop.money import format_money

# Flexible products take whole units of their currency.
AMOUNT_STEP = Decimal("1")


def validate_flexible_amount(
    *, product: Product | ShopItem, amount: Decimal | None
) -> Decimal | None:
    """The face amount to order `product` (or a shop item) with: None for a fixed one
    (whatever was sent); for a flexible one `amount` itself, once it is given, within its
    range and a whole number of AMOUNT_STEP. Raises ValidationError with the buyer's message."""
    if not product.is_flexible:
        return None
    if amount is None:
        raise ValidationError(_("Enter the amount you want."), code="amount_required")
    if not amount.is_finite() or not product.min_amount <= amount <= product.max_amount:
        raise ValidationError(
            _("Enter an amount from %(min)s to %(max)s.")
            % {
                "min": format_money(product.min_amount, getattr(product, "cost_currency", "")),
                "max": format_money(product.max_amount, getattr(product, "cost_currency", "")),
            },
            code="amount_out_of_range",
        )
    if amount % AMOUNT_STEP:
        raise ValidationError(
            _("Enter a whole amount (steps of %(step)s).") % {"step": AMOUNT_STEP},
            code="amount_step",
        )
    return amount
