"""Applying what callers report, each in one transaction, each idempotent."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Product
from catalog.services import catalog_reprice_product
from orders.models import Order, OrderAttempt
from orders.pipeline import order_poll_soon
from orders.services.provider_updates import order_apply_provider_update
from orders.services.transitions import order_lock
from providers.base import Balance
from providers.defaults import provider_ensure
from providers.hubble.adapter import REVOKING_STATUSES, revocation_result
from providers.hubble.catalog import format_amount, to_decimal
from providers.hubble.webhook import BrandUpdated, LowBalance, OrderStateChanged
from providers.services import provider_record_balance
from shop.models import NotificationLevel
from shop.notifications import notify
from webhooks.models import WebhookDelivery

# Deliveries an app above webhooks still needs (ops: a revealed body is audited), each a
# callable returning a queryset of delivery ids; apps register in AppConfig.ready.
_PRUNE_KEEPERS: list[Callable[[], QuerySet]] = []


def webhook_prune_keep(*, delivery_ids: Callable[[], QuerySet]) -> None:
    """Never prune the deliveries whose ids `delivery_ids()` returns (an app's ready())."""
    _PRUNE_KEEPERS.append(delivery_ids)


@transaction.atomic
def webhook_prune_unverified(*, older_than_days: int) -> int:
    """Delete deliveries whose signature never verified (refused, too large, unsigned)
    received more than `older_than_days` ago; returns how many. Verified deliveries are the
    audit trail of what changed and stay; so does one a staff member revealed (the
    WebhookBodyReveal that records it points at it: ops registers it with webhook_prune_keep)
    or one linked to an order."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    doomed = WebhookDelivery.objects.filter(received_at__lt=cutoff, order__isnull=True).filter(
        Q(signature_valid=False) | Q(signature_valid__isnull=True)
    )
    for kept_ids in _PRUNE_KEEPERS:
        doomed = doomed.exclude(pk__in=kept_ids())
    deleted, _ = doomed.delete()
    return deleted


HUBBLE = "hubble"


@dataclass(frozen=True)
class BrandUpdateApplied:
    changed: int  # products changed
    range_refused: str = ""  # why the flexible range was not taken (staff were told)


@transaction.atomic
def hubble_apply_brand_update(*, update: BrandUpdated) -> BrandUpdateApplied:
    """Hubble changed a brand: its products follow (status, denominations, flexible range)
    and are re-priced; a brand turned INACTIVE stops selling at once. The status is always
    applied; a range whose minimum would end above its maximum once merged with the stored
    ends is refused alone (the stored range stays) and staff are told."""
    active = update.status.upper() == "ACTIVE"
    offered = {format_amount(denomination) for denomination in update.denominations}
    restrictions = update.amount_restrictions
    products = (
        Product.objects.select_for_update(of=("self",))
        .filter(provider__code=HUBBLE)
        .filter(Q(provider_sku=update.brand_id) | Q(provider_sku__startswith=f"{update.brand_id}:"))
    )
    changed = 0
    range_refused = ""
    for product in products:
        before = (product.provider_active, product.min_amount, product.max_amount)
        if product.provider_sku == update.brand_id:  # the FLEXIBLE item of the brand
            product.provider_active = active
            range_refused = _hubble_take_range(product, restrictions)
        else:
            denomination = product.provider_sku.split(":", 1)[1]
            product.provider_active = active and (not offered or denomination in offered)
        if (product.provider_active, product.min_amount, product.max_amount) != before:
            product.save(
                update_fields=["provider_active", "min_amount", "max_amount", "updated_at"]
            )
            catalog_reprice_product(product=product, reason="Hubble brand update")
            changed += 1
    if range_refused:
        notify(
            title=f"Hubble brand {update.brand_id}: amount range refused",
            message=range_refused,
            level=NotificationLevel.WARNING,
            data={"provider": HUBBLE, "brand": update.brand_id},
        )
    return BrandUpdateApplied(changed=changed, range_refused=range_refused)


def _hubble_take_range(product: Product, restrictions: dict) -> str:
    """Set the flexible product's range from the update, merged with the stored ends (an
    update may name only one end); a merged range with its minimum above its maximum is not
    taken: returns why (empty when taken)."""
    minimum = to_decimal(restrictions.get("minVoucherAmount")) or product.min_amount
    maximum = to_decimal(restrictions.get("maxVoucherAmount")) or product.max_amount
    if minimum is not None and maximum is not None and minimum > maximum:
        return (
            f"The update would leave the minimum amount {minimum} above the maximum "
            f"{maximum}; the range stays {product.min_amount}-{product.max_amount} "
            "(the brand's status was applied)."
        )
    product.min_amount, product.max_amount = minimum, maximum
    return ""


def hubble_record_low_balance(*, low: LowBalance) -> None:
    """Hubble says our balance there is low: record it; staff are told once per crossing of
    the threshold (Hubble's or ours), not on every repeat of the callback."""
    provider_ensure(HUBBLE)
    provider_record_balance(
        code=HUBBLE, balance=Balance(low.balance, "INR"), reported_threshold=low.threshold
    )


@transaction.atomic
def hubble_apply_order_state(
    *, order: Order, state: OrderStateChanged, reference: str = ""
) -> bool:
    """Hubble says `order` reached a terminal state. The body carries no vouchers, so the
    order is fetched by a worker (`order_poll_soon`), except when Hubble calls off an order
    the shop has delivered (REVERSED, or CANCELLED after SUCCESS): that is applied from the
    signed callback itself (`order_apply_provider_update`: `needs_review`, vouchers revoked,
    nothing refunded), so a reversal never waits on, or is lost with, a status fetch.
    `reference`: the attempt the callback is about (empty: the current one); a reversal
    of an earlier attempt revokes nothing of the current one.
    Returns False when it changed nothing (a repeated reversal)."""
    order = order_lock(order)
    if state.status in REVOKING_STATUSES and order.vouchers.exists():
        unrevoked = order.vouchers.filter(revoked_at__isnull=True).exists()
        result = revocation_result(state.status, provider_order_id=state.order_id, raw=state.raw)
        order_apply_provider_update(order=order, result=result, reference=reference)
        return unrevoked
    order_poll_soon(order=order)
    return True


def order_for_provider_callback(
    *, provider: str, reference: str = "", provider_order_id: str = ""
) -> tuple[Order | None, str]:
    """The order a provider's callback speaks of, and the provider reference of the attempt
    it is about: found by the attempt's reference (`reference`, what we sent) or by the
    provider's own id, among the attempts placed at `provider`; else (an order in flight
    since before attempts were kept) the order with that code or id at that provider, whose
    current attempt it is about (""). (None, "") when no order matches."""
    attempts = OrderAttempt.objects.filter(provider_code=provider).select_related("order")
    if reference:
        attempt = attempts.filter(reference=reference).first()
        legacy = Order.objects.filter(code=reference, provider_code=provider)
    elif provider_order_id:
        attempt = attempts.filter(provider_order_id=provider_order_id).order_by("-pk").first()
        legacy = Order.objects.filter(provider_order_id=provider_order_id, provider_code=provider)
    else:
        return None, ""
    if attempt is not None:
        return attempt.order, attempt.reference
    return legacy.filter(route_attempts__isnull=True).first(), ""
