"""An order's attempts (OrderAttempt): which one is current, how each ended, and the
failover from one route to the next after a final failure.

Every placement runs under an attempt. Attempt 1 (reference = the order's code) is made
when the order is first placed, or on first need for an order already in flight without
one; a failover makes the next (`<code>-<n>`). The adapter is always sent the current
attempt's reference, and an answer is applied to the attempt it names: an answer about an
earlier attempt never settles the current one (orders.services.provider_updates).

The failover rule (docs/pipeline.md "Attempts and failover"): only after the current
attempt's FINAL failure (ProviderStatus.FAILED that does not revoke a delivery), before
anything was delivered, for an order of a shop item with another route left that is
usable now and not dearer than the order's price (unless the item allows selling below
cost), and fewer than ROUTING_MAX_ATTEMPTS attempts. Never after pending, unknown, a
timeout or a missing answer.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import AttemptOutcome, Order, OrderAttempt, OrderStatus
from orders.routing import Route, route_choose
from orders.services.transitions import order_transition
from providers.base import ProviderResult, ProviderStatus
from wallets.services import wallet_book_order_cost

FINISHED_OUTCOMES = (AttemptOutcome.DELIVERED, AttemptOutcome.FAILED)


def _first_attempt_outcome(order: Order) -> str:
    """What attempt 1 of an order placed before attempts were kept has come to."""
    if order.status == OrderStatus.SUCCESS:
        return AttemptOutcome.DELIVERED
    if order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        return AttemptOutcome.FAILED
    if order.status == OrderStatus.PAID:
        return AttemptOutcome.PLACING
    return AttemptOutcome.PENDING


def order_attempt_current(*, order: Order) -> OrderAttempt:
    """The order's current attempt (its highest number). An order without any (placed now
    for the first time, or in flight since before attempts were kept) gets attempt 1 here:
    reference = the order's code, its route and cost the order's, its outcome what the order
    has come to. Safe against a concurrent first call (the (order, number) key decides)."""
    attempt = order.route_attempts.order_by("-number").first()
    if attempt is not None:
        return attempt
    outcome = _first_attempt_outcome(order)
    try:
        with transaction.atomic():
            return OrderAttempt.objects.create(
                order=order,
                number=1,
                product_id=order.product_id,
                provider_code=order.provider_code,
                provider_sku=order.provider_sku,
                reference=order.code,
                cost=order.cost,
                outcome=outcome,
                provider_order_id=order.provider_order_id,
                provider_rc=order.provider_rc,
                started_at=order.processing_at or order.paid_at or timezone.now(),
                finished_at=timezone.now() if outcome in FINISHED_OUTCOMES else None,
            )
    except IntegrityError:
        return order.route_attempts.get(number=1)


def order_attempt_for(*, order: Order, reference: str = "") -> OrderAttempt | None:
    """The attempt an answer is about: the one with `reference` (the current one when
    `reference` is empty); None when `reference` names no attempt of this order."""
    if not reference:
        return order_attempt_current(order=order)
    attempt = order.route_attempts.filter(reference=reference).first()
    if attempt is None and reference == order.code:
        attempt = order_attempt_current(order=order)
        return attempt if attempt.number == 1 else None
    return attempt


def attempt_record(
    attempt: OrderAttempt, *, result: ProviderResult, outcome: str | None = None
) -> OrderAttempt:
    """Keep a provider's answer on its attempt: the provider's id, rc and message, and
    `outcome` (pending, delivered, failed; finished ones get `finished_at`). A finished
    attempt's outcome never changes."""
    fields = {
        "provider_order_id": result.provider_order_id or attempt.provider_order_id,
        "provider_rc": (result.rc or attempt.provider_rc)[:16],
        "message": result.message[:2000] or attempt.message,
    }
    if outcome is not None and attempt.outcome not in FINISHED_OUTCOMES:
        fields["outcome"] = outcome
        if outcome in FINISHED_OUTCOMES:
            fields["finished_at"] = timezone.now()
    changed = [name for name, value in fields.items() if getattr(attempt, name) != value]
    for name in changed:
        setattr(attempt, name, fields[name])
    if changed:
        attempt.save(update_fields=changed)
    return attempt


def attempt_note(attempt: OrderAttempt, *, message: str) -> None:
    """Add `message` to an attempt's record (nothing else changes)."""
    if message in attempt.message:
        return
    attempt.message = f"{attempt.message}\n{message}".strip()[:4000]
    attempt.save(update_fields=["message"])


def order_book_delivery(*, order: Order, result: ProviderResult | None = None) -> OrderAttempt:
    """An order of this transaction (locked) was delivered: its current attempt is the one
    that delivered (outcome `delivered`), and the ledger books that route's cost once
    (`wallet_book_order_cost`, key `order:<code>:cost`: sales → provider_costs)."""
    attempt = order_attempt_current(order=order)
    if result is None:
        result = ProviderResult(status=ProviderStatus.SUCCESS)
    if not order.route_attempts.filter(outcome=AttemptOutcome.DELIVERED).exists():
        attempt_record(attempt, result=result, outcome=AttemptOutcome.DELIVERED)
    else:
        attempt_record(attempt, result=result)
    wallet_book_order_cost(
        order=order,
        cost=attempt.cost,
        reference=f"{attempt.reference} {attempt.provider_code}"[:100],
        memo=f"Cost of attempt {attempt.number} at {attempt.provider_code}",
    )
    return attempt


def failover_route(*, order: Order, exclude_provider_codes: set[str]) -> Route | None:
    """The next route for `order`'s shop item: the best route that may take it now at a
    provider not tried yet, costing no more than the price the buyer paid unless the item
    allows selling below cost (`route_choose`'s `max_cost`; its circuit asked last, so a
    half-open circuit's one probe goes to this order)."""
    return route_choose(
        order.shop_item,
        amount=order.amount,
        exclude_provider_codes=exclude_provider_codes,
        max_cost=order.price,
    )


def order_fail_over(*, order: Order, attempt: OrderAttempt, result: ProviderResult) -> Order | None:
    """After `attempt` (the current one, of this locked order) failed for good: place the
    order again at the next route, or None when the rule does not allow it (then the
    caller refunds as before).

    Allowed only for an order of a shop item that waits on its provider, with nothing
    delivered (no delivered attempt, no vouchers), fewer than ROUTING_MAX_ATTEMPTS
    attempts, and a route left at a provider not tried yet (`failover_route`). Then, in
    the caller's transaction: a new attempt `<code>-<n>` on that route, the order's route
    fields (product, provider, SKU, cost) switched to it and its provider fields and poll
    schedule reset, and the order back to `paid` (event "Failed over from X to Y"), which
    enqueues its placement on commit. A second final failure of the same attempt finds it
    no longer current and fails over nothing."""
    if result.status != ProviderStatus.FAILED or result.revokes_delivery:
        return None
    if order.shop_item_id is None or not order.waits_on_provider:
        return None
    current = order_attempt_current(order=order)
    if current.pk != attempt.pk or attempt.number >= settings.ROUTING_MAX_ATTEMPTS:
        return None
    delivered = order.route_attempts.filter(outcome=AttemptOutcome.DELIVERED).exists()
    if delivered or order.vouchers.exists():
        return None
    tried = set(order.route_attempts.values_list("provider_code", flat=True))
    route = failover_route(order=order, exclude_provider_codes=tried)
    if route is None:
        return None
    attempt_record(attempt, result=result, outcome=AttemptOutcome.FAILED)
    number = attempt.number + 1
    following = OrderAttempt.objects.create(
        order=order,
        number=number,
        product=route.product,
        provider_code=route.provider_code,
        provider_sku=route.product.provider_sku,
        reference=f"{order.code}-{number}",
        cost=route.cost,
    )
    reason = result.message or result.rc or "failed"
    return order_transition(
        order=order,
        to=OrderStatus.PAID,
        message=(
            f"Failed over from {attempt.provider_code} to {following.provider_code}: "
            f"attempt {attempt.number} ({attempt.reference}) failed for good ({reason}); "
            f"attempt {number} is {following.reference}."
        ),
        data={
            "failover": {
                "from": attempt.provider_code,
                "to": following.provider_code,
                "from_reference": attempt.reference,
                "to_reference": following.reference,
                "rc": result.rc,
                "cost": str(following.cost),
            }
        },
        paid_at=order.paid_at,  # still when the buyer paid
        product=route.product,
        provider_code=following.provider_code,
        provider_sku=following.provider_sku,
        cost=following.cost,
        provider_order_id="",
        provider_status="",
        provider_message="",
        provider_rc="",
        needs_verification=False,
        poll_claim="",
        poll_count=0,
        next_poll_at=None,
        first_requested_at=None,
        deadline_at=None,
    )
