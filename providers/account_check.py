"""The account check ("cek ID"): whose game account or PLN meter the buyer typed, asked of a
provider before anyone pays (docs/storefront.md#account-check).

Which provider answers for a brand: every configured upstream adapter whose
`looks_up_accounts` takes the brand, those that sell the brand's products first (VIP
Reseller's nickname check serves Mobile Legends even when the item comes from Digiflazz).
The first that answers found or not found decides; one that cannot answer now hands over to
the next.

Found and not-found answers are cached (the Django cache, Redis) for
ACCOUNT_CHECK_CACHE_SECONDS, so the check on the order page's "Check" and the one when the
order is made ask the provider once; an outage is never cached. A check that has to ask a
provider counts against the caller's rate limits (`RateLimit`: the address on the
storefront, the API key on the reseller API); an answer from the cache costs nothing.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from catalog.models import Brand, Product, Provider
from providers.base import (
    AccountInfo,
    AccountNotFound,
    NotConfigured,
    ProviderError,
    UpstreamAdapter,
)
from providers.registry import UPSTREAM_ADAPTERS, get_adapter
from shop.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

CACHE_PREFIX = "account-check:v1:"


class AccountCheckStatus(StrEnum):
    FOUND = "found"  # the provider named the account holder
    NOT_FOUND = "not_found"  # the provider says there is no such account
    UNAVAILABLE = "unavailable"  # no provider could answer now (timeout, 5xx, refusal)
    UNSUPPORTED = "unsupported"  # no configured provider checks this brand
    RATE_LIMITED = "rate_limited"  # the caller asked too often; nothing was asked


@dataclass(frozen=True)
class AccountCheck:
    status: AccountCheckStatus
    name: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    provider: str = ""  # the provider code that answered
    retry_after: int = 0  # RATE_LIMITED: seconds until the next check may pass
    cached: bool = False  # answered from the cache

    @property
    def found(self) -> bool:
        return self.status == AccountCheckStatus.FOUND

    @property
    def not_found(self) -> bool:
        return self.status == AccountCheckStatus.NOT_FOUND

    @property
    def checked(self) -> bool:
        """The provider gave its word (found or not found)."""
        return self.status in (AccountCheckStatus.FOUND, AccountCheckStatus.NOT_FOUND)


@dataclass(frozen=True)
class RateLimit:
    """One bucket a check that reaches a provider counts against (shop.ratelimit)."""

    key: str
    per_minute: int


def rate_limit_for_address(address: str) -> RateLimit:
    return RateLimit(
        key=f"account-check:address:{address or 'unknown'}",
        per_minute=settings.ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE,
    )


def rate_limit_for_api_key(prefix: str) -> RateLimit:
    return RateLimit(
        key=f"account-check:key:{prefix}", per_minute=settings.ACCOUNT_CHECKS_PER_KEY_PER_MINUTE
    )


def account_checks_enabled() -> bool:
    """ACCOUNT_CHECKS_ENABLED: off, no provider is asked and every brand is unchecked."""
    return settings.ACCOUNT_CHECKS_ENABLED


def _lookup_adapters(brand: Brand) -> list[tuple[str, UpstreamAdapter]]:
    """(code, adapter) of every configured provider that checks `brand`, registry order."""
    if not account_checks_enabled():
        return []
    adapters = []
    for code in UPSTREAM_ADAPTERS:
        try:
            adapter = get_adapter(code)
        except NotConfigured:
            continue
        if adapter.looks_up_accounts(brand=brand.name, input_schema=brand.input_schema):
            adapters.append((code, adapter))
    return adapters


def account_check_supported(brand: Brand) -> bool:
    """Whether some configured provider checks accounts of `brand` (no query, no call)."""
    return bool(_lookup_adapters(brand))


def _ordered(brand: Brand, adapters: list[tuple[str, UpstreamAdapter]]):
    """Providers that sell `brand` first; disabled providers (catalog.Provider) dropped."""
    rows = Provider.objects.filter(code__in=[code for code, _adapter in adapters]).annotate(
        sells=Exists(Product.objects.filter(provider=OuterRef("pk"), brand=brand))
    )
    known = {row.code: row for row in rows}
    usable = [
        (code, adapter) for code, adapter in adapters if code not in known or known[code].enabled
    ]
    return sorted(usable, key=lambda pair: not (pair[0] in known and known[pair[0]].sells))


def _cache_key(brand: Brand, fields: dict[str, str]) -> str:
    canonical = json.dumps(
        {"brand": brand.pk, "schema": brand.input_schema, "fields": fields},
        sort_keys=True,
        separators=(",", ":"),
    )
    return CACHE_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()


def _from_cache(value) -> AccountCheck | None:
    try:
        return AccountCheck(
            status=AccountCheckStatus(value["status"]),
            name=value["name"],
            extra=dict(value["extra"]),
            provider=value["provider"],
            cached=True,
        )
    except (KeyError, TypeError, ValueError):
        return None


def account_check(
    *, brand: Brand, fields: dict[str, str], rate_limits: tuple[RateLimit, ...] = ()
) -> AccountCheck:
    """Whose account `fields` (the brand's cleaned input, `validate_customer_input`) name.

    Never raises for a provider's trouble: UNAVAILABLE says the check could not be made,
    UNSUPPORTED that nobody checks this brand. FOUND and NOT_FOUND are cached; a call that
    would ask a provider first counts against each of `rate_limits` (RATE_LIMITED, with
    `retry_after`, when one refuses: no provider is asked).
    """
    adapters = _lookup_adapters(brand)  # cheap (no I/O): spares a brand nobody checks a read
    if not adapters:
        return AccountCheck(AccountCheckStatus.UNSUPPORTED)
    key = _cache_key(brand, fields)
    cached = _from_cache(cache.get(key))
    if cached is not None:
        return cached
    for limit in rate_limits:
        decision = rate_limit_hit(key=limit.key, limit=max(limit.per_minute, 1), period=60)
        if not decision.allowed:
            return AccountCheck(AccountCheckStatus.RATE_LIMITED, retry_after=decision.retry_after)
    result = _ask_providers(brand, fields, _ordered(brand, adapters))
    if result.checked:
        cache.set(
            key,
            {
                "status": str(result.status),
                "name": result.name,
                "extra": result.extra,
                "provider": result.provider,
            },
            timeout=settings.ACCOUNT_CHECK_CACHE_SECONDS,
        )
    return result


def _ask_providers(brand: Brand, fields: dict[str, str], adapters) -> AccountCheck:
    for code, adapter in adapters:
        try:
            info: AccountInfo = adapter.account_lookup(
                brand=brand.name, input_schema=brand.input_schema, fields=fields
            )
        except AccountNotFound:
            return AccountCheck(AccountCheckStatus.NOT_FOUND, provider=code)
        except (ProviderError, NotImplementedError) as exc:
            # an outage or a refusal: the next provider may answer; never cached
            logger.warning("account check of %s at %s failed: %s", brand.slug, code, exc)
            continue
        except Exception:  # an adapter's bug must not fail a buyer's page: unchecked instead
            logger.exception("account check of %s at %s broke", brand.slug, code)
            continue
        return AccountCheck(
            AccountCheckStatus.FOUND,
            name=info.name[:200],
            extra={str(k): str(v)[:100] for k, v in info.extra.items()},
            provider=code,
        )
    return AccountCheck(AccountCheckStatus.UNAVAILABLE)
