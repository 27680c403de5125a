"""What an account check means for a sale (the check itself: providers/account_check.py).

- found: the sale goes on, and the order keeps the name the check gave (`account_name`);
- not found: refused (`account_not_found`): the buyer typed an account nobody has;
- could not check (an outage, or no provider checks the brand): the sale goes on, unless
  the brand `requires_confirmed_account` (`account_unconfirmed`);
- too many checks from one caller: refused (`account_checks_rate_limited`).
"""

from django.utils.translation import gettext, gettext_noop

from catalog.models import Brand
from providers.account_check import (
    AccountCheck,
    AccountCheckStatus,
    RateLimit,
    account_check,
    rate_limit_for_address,
)
from shop.client_address import client_address
from shop.errors import ApplicationError

ACCOUNT_NOT_FOUND = gettext_noop(
    "No account was found with these details. Please check them and try again."
)
ACCOUNT_UNCONFIRMED = gettext_noop(
    "We could not check this account right now, and this item is sold only to checked "
    "accounts. Please try again in a few minutes."
)
CHECKS_RATE_LIMITED = gettext_noop(
    "Too many account checks. Please wait %(seconds)d seconds and try again."
)


def account_check_refusal(*, brand: Brand, result: AccountCheck) -> ApplicationError | None:
    """The refusal a sale of `brand` gets after `result`; None when it may go on."""
    if result.status == AccountCheckStatus.NOT_FOUND:
        return ApplicationError(ACCOUNT_NOT_FOUND, code="account_not_found")
    if result.status == AccountCheckStatus.RATE_LIMITED:
        return ApplicationError(
            CHECKS_RATE_LIMITED,
            code="account_checks_rate_limited",
            extra={"retry_after": result.retry_after},
        )
    if not result.found and brand.requires_confirmed_account:
        return ApplicationError(ACCOUNT_UNCONFIRMED, code="account_unconfirmed")
    return None


def account_check_refusal_message(refusal: ApplicationError) -> str:
    """A refusal of `account_check_refusal` in the buyer's language."""
    if refusal.code == "account_checks_rate_limited":
        return gettext(CHECKS_RATE_LIMITED) % {"seconds": refusal.extra["retry_after"]}
    return gettext(refusal.message)


def storefront_rate_limits(request) -> tuple[RateLimit, ...]:
    """The storefront's account-check limit: the caller's address."""
    return (rate_limit_for_address(client_address(request.META)),)


def order_account_name(*, brand: Brand, fields: dict[str, str]) -> str:
    """The account name an order of `brand` for the cleaned `fields` records: the check's
    name ("" when it could not be made and the brand allows that). Raises the refusal of
    `account_check_refusal`. The doors (the storefront form, the API) have checked already
    under the caller's rate limit, so this is normally the cached answer."""
    result = account_check(brand=brand, fields=fields)
    refusal = account_check_refusal(brand=brand, result=result)
    if refusal is not None:
        raise refusal
    return result.name if result.found else ""
