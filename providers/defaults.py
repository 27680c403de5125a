"""The providers the shop knows, with the settings a new Provider row starts from.

Admins change a Provider row afterwards (exchange rate, name, enabled); `provider_ensure`
only fills in a missing row and never overwrites what is there.
"""

from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Provider, ProviderKind
from providers.registry import UPSTREAM_ADAPTERS, UnknownProvider


@dataclass(frozen=True)
class ProviderDefaults:
    code: str
    name: str
    kind: str  # catalog.models.ProviderKind value
    currency: str
    exchange_rate: Decimal  # shop currency (IDR) per one unit of `currency`


PROVIDER_DEFAULTS: dict[str, ProviderDefaults] = {
    defaults.code: defaults
    for defaults in (
        ProviderDefaults("digiflazz", "Digiflazz", ProviderKind.UPSTREAM, "IDR", Decimal("1")),
        ProviderDefaults("hubble", "Hubble", ProviderKind.UPSTREAM, "INR", Decimal("190")),
        ProviderDefaults("foxreload", "FoxReload", ProviderKind.UPSTREAM, "USD", Decimal("16000")),
        ProviderDefaults("vipreseller", "VIP Reseller", ProviderKind.UPSTREAM, "IDR", Decimal("1")),
        ProviderDefaults("tripay", "Tripay", ProviderKind.GATEWAY, "IDR", Decimal("1")),
        ProviderDefaults("sandbox", "Sandbox gateway", ProviderKind.GATEWAY, "IDR", Decimal("1")),
    )
}


def provider_ensure(code: str) -> Provider:
    """The Provider row of `code`, created from PROVIDER_DEFAULTS when missing.

    An existing row is returned as it is (admin-set values are never overwritten), also for
    a code without defaults. UnknownProvider when there is neither a row nor defaults.
    Safe to call concurrently: `get_or_create` retries the read when two callers race.
    """
    existing = Provider.objects.filter(code=code).first()
    if existing is not None:
        return existing
    defaults = PROVIDER_DEFAULTS.get(code)
    if defaults is None:
        raise UnknownProvider(code)
    provider, _ = Provider.objects.get_or_create(
        code=code,
        defaults={
            "name": defaults.name,
            "kind": defaults.kind,
            "currency": defaults.currency,
            "exchange_rate": defaults.exchange_rate,
        },
    )
    return provider


def upstream_providers(*, code: str | None = None) -> list[Provider]:
    """Upstream providers to work on, their rows ensured: `code` alone (even when disabled),
    else every enabled upstream provider the registry can build an adapter for.

    UnknownProvider when `code` is not an upstream provider of the registry.
    """
    if code is not None:
        if code not in UPSTREAM_ADAPTERS:
            raise UnknownProvider(code)
        return [provider_ensure(code)]
    providers = [provider_ensure(known) for known in UPSTREAM_ADAPTERS]
    return [p for p in providers if p.enabled and p.kind == ProviderKind.UPSTREAM]
