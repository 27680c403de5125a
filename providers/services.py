"""Writes about providers' own state: their balance, and whether the shop may sell for them."""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Provider, ProviderKind
from catalog.services import catalog_reprice_all
from providers.base import Balance, NotConfigured, ProviderError
from providers.registry import UPSTREAM_ADAPTERS, get_adapter
from shop.models import NotificationLevel, StaffAlertKind
from shop.money import format_money
from shop.notifications import notify

logger = logging.getLogger(__name__)


def _provider_for_update(code: str) -> Provider | None:
    return Provider.objects.select_for_update().filter(code=code).first()


@transaction.atomic
def provider_mark_out_of_balance(*, code: str, message: str = "") -> None:
    """The provider refused an order for its own lack of balance: stop selling its products
    (until `provider_record_balance` sees enough again) and tell staff, once."""
    provider = _provider_for_update(code)
    if provider is None or provider.out_of_balance_since is not None:
        return
    provider.out_of_balance_since = timezone.now()
    provider.save(update_fields=["out_of_balance_since"])
    catalog_reprice_all(provider=provider, reason="provider out of balance")
    notify(
        title=f"{provider.name} is out of balance: its products are hidden",
        message=message or "Top up the provider balance; sales resume after a balance check.",
        level=NotificationLevel.ERROR,
        data={"provider": code},
        alert=StaffAlertKind.PROVIDER_PAUSED,
        event_key=f"provider:{code}:paused:{provider.out_of_balance_since.isoformat()}",
    )


@transaction.atomic
def provider_resume_selling(*, code: str, actor=None) -> Provider | None:
    """Staff say the provider's balance was topped up (for a provider whose API cannot
    report its balance, such as FoxReload): its products sell again."""
    provider = _provider_for_update(code)
    if provider is None or provider.out_of_balance_since is None:
        return provider
    provider.out_of_balance_since = None
    provider.save(update_fields=["out_of_balance_since"])
    catalog_reprice_all(provider=provider, reason="provider balance topped up (staff)")
    who = actor.get_username() if actor is not None else "staff"
    notify(
        title=f"{provider.name} sells again",
        message=f"{who} marked the provider's balance as topped up.",
        level=NotificationLevel.INFO,
        data={"provider": code},
    )
    return provider


@transaction.atomic
def provider_record_balance(
    *, code: str, balance: Balance, reported_threshold: Decimal | None = None
) -> Provider | None:
    """Store a balance reading. Under the threshold (ours, or the one the provider reports
    with a low-balance callback, whichever is higher), staff are told once per crossing; a
    provider suspended for lack of balance sells again once the balance is above it."""
    provider = _provider_for_update(code)
    if provider is None:
        return None
    provider.last_balance = Decimal(balance.amount)
    provider.last_balance_at = timezone.now()
    threshold = max(provider.low_balance_threshold, reported_threshold or Decimal("0"))
    low = provider.last_balance < threshold
    if low and not provider.low_balance_notified:
        provider.low_balance_notified = True
        notify(
            title=(
                f"{provider.name} balance is low: "
                f"{format_money(provider.last_balance, balance.currency)}"
            ),
            message=f"The threshold is {format_money(threshold, balance.currency)}.",
            level=NotificationLevel.WARNING,
            data={"provider": code},
            alert=StaffAlertKind.LOW_BALANCE,
            event_key=f"provider:{code}:low-balance:{provider.last_balance_at.isoformat()}",
        )
    elif not low:
        provider.low_balance_notified = False
    resume = not low and provider.out_of_balance_since is not None and provider.last_balance > 0
    if resume:
        provider.out_of_balance_since = None
    provider.save()
    if resume:
        catalog_reprice_all(provider=provider, reason="provider balance restored")
    return provider


def providers_check_balances() -> dict[str, str]:
    """Read every configured upstream's balance; one provider's failure never stops the
    others. Returns code → what happened, for logs and commands."""
    outcomes = {}
    codes = Provider.objects.filter(
        kind=ProviderKind.UPSTREAM, enabled=True, code__in=UPSTREAM_ADAPTERS
    ).values_list("code", flat=True)
    for code in codes:
        try:
            adapter = get_adapter(code)
            if not adapter.reports_balance:
                outcomes[code] = "no balance endpoint"
                continue
            balance = adapter.get_balance()
        except NotConfigured:
            outcomes[code] = "not configured"
            continue
        except ProviderError as exc:
            logger.warning("balance check of %s failed: %s", code, exc)
            outcomes[code] = f"failed: {exc.message}"
            continue
        provider_record_balance(code=code, balance=balance)
        outcomes[code] = f"{balance.amount} {balance.currency}"
    return outcomes
