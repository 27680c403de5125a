"""Which links from a payment gateway the shop may put in a page or a redirect.

A gateway's reply carries links for the buyer (Tripay's `checkout_url` and `qr_url`). They
are checked before they are stored or followed: https only, as Tripay serves them, so a
reply with `javascript:`, `data:` or plain http never becomes a link on the order page or a
redirect. With the simulators on, the simulators' own pages (under `/sim/` at `SITE_URL` or at
the gateway's configured base) may be plain http.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from providers.base import GatewayAdapter, PaymentInstructions, ProviderError

# The instruction fields the buyer's browser opens or loads.
LINK_FIELDS = ("checkout_url", "qr_url")
SIMULATOR_PATH = "/sim/"
_https_url = URLValidator(schemes=["https"])
_web_url = URLValidator(schemes=["http", "https"])


class UnsafePaymentLink(ProviderError):
    """The gateway sent a link the shop will not show: the payment is not used."""


def simulator_link_bases(gateway: GatewayAdapter) -> list[str]:
    """Where the simulators' pages live (empty with the simulators off): `SITE_URL/sim/`,
    and the gateway's base up to `/sim/` when it points at a simulator elsewhere."""
    if not settings.SIMULATORS_ENABLED:
        return []
    bases = [settings.SITE_URL.rstrip("/") + SIMULATOR_PATH]
    gateway_base = getattr(gateway, "base_url", "") or ""
    if SIMULATOR_PATH in gateway_base:
        bases.append(gateway_base[: gateway_base.index(SIMULATOR_PATH) + len(SIMULATOR_PATH)])
    return bases


def payment_link_allowed(url: str, *, simulator_bases: list[str]) -> bool:
    """True for an https URL with a host, or a simulator page; "" (no link) is allowed."""
    if not url:
        return True
    validator = _web_url if any(url.startswith(base) for base in simulator_bases) else _https_url
    try:
        validator(url)
    except ValidationError:
        return False
    return bool(urlsplit(url).hostname)


def payment_links_checked(
    instructions: PaymentInstructions, *, gateway: GatewayAdapter
) -> PaymentInstructions:
    """`instructions` unchanged when every link in it is allowed; else UnsafePaymentLink
    (a ProviderError: the checkout treats it as the gateway refusing)."""
    bases = simulator_link_bases(gateway)
    for name in LINK_FIELDS:
        url = getattr(instructions, name)
        if not isinstance(url, str) or not payment_link_allowed(url, simulator_bases=bases):
            raise UnsafePaymentLink(
                f"{gateway.code} sent a {name} that is not a safe link (https only): {url!r:.200}",
                code="unsafe_link",
            )
    return instructions
