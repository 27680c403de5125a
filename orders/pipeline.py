"""From `paid` to delivered or refunded: placement, polling, reconciliation, expiry.

The database drives it: an order's `status`, `next_poll_at` and `poll_claim` say what is
due, so a lost Celery message or a killed worker delays an order but never strands it.
Provider calls happen outside any transaction; their results go through
`order_apply_provider_update`, which locks the order and ignores what is stale.

Rules kept here:
- an order is placed only from `paid`, and the move to `processing` (marked "verify")
  happens before the call, so a crash during the call leaves an order that is verified
  by reference, never placed blind a second time;
- an unknown outcome is looked up by reference before anything else; only a "never
  placed" answer allows placing again, with the same reference;
- nothing is refunded on the clock: when to ask is the provider's `PendingRule`
  (providers/base.py), and past its deadline an order goes to a person while the shop
  keeps asking (`order_apply_provider_update` and `order_fail_and_refund` keep the rule).
"""

import logging
import math
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Provider
from orders import payment_checks
from orders.bills import bills_expire_inquiries
from orders.models import WAITS_ON_PROVIDER, Order, OrderAttempt, OrderKind, OrderStatus
from orders.services.attempts import order_attempt_current
from orders.services.provider_updates import (
    order_apply_provider_update,
    order_stop_polling,
)
from orders.services.refunds import order_fail_and_refund
from orders.services.transitions import order_flag_review, order_lock, order_transition
from providers.base import (
    FailureKind,
    NotConfigured,
    OrderRequest,
    ProviderResult,
    ProviderStatus,
    UpstreamAdapter,
)
from providers.call_limits import ProviderBusy, provider_call_limits, provider_call_permit
from providers.registry import UPSTREAM_ADAPTERS, UnknownProvider, get_adapter
from providers.services import provider_mark_out_of_balance

logger = logging.getLogger(__name__)

# A poll message that never ran is replaced after this long.
POLL_LEASE = timedelta(minutes=2)
# Paid orders never placed after this long are enqueued again.
PLACEMENT_GRACE = timedelta(minutes=2)
# How often the beat runs orders_poll_due; sooner polls are enqueued with a countdown.
POLL_BEAT = timedelta(seconds=15)
# Orders of a code without an adapter claimed per beat (each provider's own: `poll_budget`).
POLL_BATCH_SIZE = 500


def order_request_for(order: Order) -> OrderRequest:
    """What the adapter needs, in the provider's words, for the order's current attempt
    (its reference: the order's code for attempt 1, `<code>-<n>` after a failover);
    `max_price` is the cost we priced with, in the provider's currency, so a seller's price
    rise fails instead of selling at a loss."""
    attempt = order_attempt_current(order=order)
    rate = Provider.objects.values_list("exchange_rate", flat=True).get(code=order.provider_code)
    max_price = (
        (order.cost / rate).quantize(Decimal("0.01"), rounding=ROUND_CEILING) if rate else None
    )
    return OrderRequest(
        reference=attempt.reference,
        sku=order.provider_sku,
        customer_no=order.customer_no,
        customer_data=order.customer_data,
        amount=order.amount,
        max_price=max_price,
        customer_name=order.user.get_full_name() if order.user_id else "",
        customer_email=order.buyer_email,
        customer_phone=order.customer_data.get("phone", ""),
        provider_order_id=order.provider_order_id,
        postpaid=order.kind == OrderKind.BILL,
    )


def _reference_too_old(order: Order, adapter: UpstreamAdapter) -> str:
    """Why the current attempt's reference may not be sent again ("" when it may)."""
    rule = adapter.pending_rule
    attempt = order_attempt_current(order=order)
    created_at = order.created_at if attempt.number == 1 else attempt.started_at
    if not rule.reference_expired(created_at=created_at, now=timezone.now()):
        return ""
    return (
        f"reference {attempt.reference} is older than {rule.reference_max_age.days} days: "
        f"{order.provider_code} could take it for a new transaction, so it is not sent "
        "again. Check the order in the provider's dashboard and settle it by hand."
    )


def order_place(*, order_id: int) -> Order | None:
    """Place a paid order at its provider, once. Runs from `paid` only; anything else
    (a duplicate message, an order already placed) returns without a call.

    An order marked for verification (staff's "retry placement" of an order whose earlier
    placement may have reached the provider) is not placed blind: it is looked up first,
    by a poll due now, and placed again (same reference) only if the provider never got it.
    """
    with transaction.atomic():
        order = order_lock(Order(pk=order_id))
        if order.status != OrderStatus.PAID:
            return None
        order_attempt_current(order=order)  # every placement runs under an attempt
        try:
            adapter = get_adapter(order.provider_code)
        except (UnknownProvider, NotConfigured) as exc:
            return order_flag_review(order=order, message=f"Cannot place this order: {exc}")
        too_old = _reference_too_old(order, adapter)
        if too_old:
            return order_flag_review(order=order, message=f"Not placed: {too_old}")
        # Looked up first where it can be: by reference, or by the provider's id once known.
        # (A FoxReload order without an id was never paid there: its id is kept before it
        # is paid, so it is placed anew.)
        verify_first = order.needs_verification and (
            adapter.looks_up_by_reference or bool(order.provider_order_id)
        )
        now = timezone.now()
        first_requested_at = order.first_requested_at or now
        order = order_transition(
            order=order,
            to=OrderStatus.PROCESSING,
            message=(
                f"Looking it up at {order.provider_code} before placing again"
                if verify_first
                else f"Placing at {order.provider_code}"
            ),
            needs_verification=True,  # until the provider's answer is in
            attempts=order.attempts + (0 if verify_first else 1),
            first_requested_at=first_requested_at,
            next_poll_at=now if verify_first else now + adapter.pending_rule.verify_after,
            deadline_at=adapter.pending_rule.deadline_at(first_requested_at=first_requested_at),
        )
        if verify_first:
            _claim_and_enqueue_poll(order, at=now)
            return order
    return _place_and_apply(order, adapter)


def _place_and_apply(order: Order, adapter: UpstreamAdapter) -> Order:
    request = order_request_for(order)

    def remember(provider_order_id: str) -> None:
        # Committed at once (no transaction here): a crash during the rest of the
        # placement leaves an order that polls can look up by this id.
        OrderAttempt.objects.filter(reference=request.reference).update(
            provider_order_id=provider_order_id
        )
        Order.objects.filter(
            pk=order.pk, status=OrderStatus.PROCESSING, provider_code=order.provider_code
        ).update(provider_order_id=provider_order_id)

    request = replace(request, on_provider_order_id=remember)
    try:
        result = adapter.place_order(request)
    except Exception as exc:  # anything unexpected may still have placed the order
        logger.exception("placing %s raised", order.code)
        result = ProviderResult(status=ProviderStatus.UNKNOWN, message=f"placement error: {exc}")
    if result.status == ProviderStatus.NOT_FOUND:
        result = ProviderResult(status=ProviderStatus.UNKNOWN, message=result.message)
    return _apply(order, adapter, result, reference=request.reference)


def _apply(
    order: Order, adapter: UpstreamAdapter, result: ProviderResult, *, reference: str = ""
) -> Order:
    """Apply a provider's answer about the attempt `reference` (empty: the current one)
    with its adapter's pending rule, and enqueue the next poll at once when it is due
    before the beat would run it."""
    if result.provider_out_of_balance:
        provider_mark_out_of_balance(
            code=getattr(adapter, "code", order.provider_code), message=result.message
        )
    order = order_apply_provider_update(
        order=order, result=result, rule=adapter.pending_rule, reference=reference
    )
    next_poll_at = order.next_poll_at
    if order.waits_on_provider and next_poll_at and next_poll_at - timezone.now() < POLL_BEAT:
        _claim_and_enqueue_poll(order, at=next_poll_at)  # sooner than the beat would
    return order


def order_apply_callback(*, order: Order, result: ProviderResult, reference: str = "") -> Order:
    """A provider's callback about an order's attempt `reference` (the provider reference
    it carries; empty: the current attempt): the same path as a poll's answer (schedules
    from the adapter, a provider out of balance noticed)."""
    attempt = order.route_attempts.filter(reference=reference).first() if reference else None
    provider_code = attempt.provider_code if attempt is not None else order.provider_code
    try:
        adapter = get_adapter(provider_code)
    except (UnknownProvider, NotConfigured):
        return order_apply_provider_update(order=order, result=result, reference=reference)
    return _apply(order, adapter, result, reference=reference)


def _claim_and_enqueue_poll(order: Order, *, at: datetime) -> bool:
    """Give `order` a fresh poll claim unless a poll holding a live claim is in flight, and
    enqueue that poll for `at` once the transaction commits. The poll is due in the
    database too, so it happens even if the message is lost."""
    from orders.tasks import order_poll  # the tasks module imports this one

    now = timezone.now()
    countdown = max((at - now).total_seconds(), 0)
    if countdown and order_poll.app.conf.task_always_eager:
        return False  # an eager task cannot wait: orders_poll_due runs it when it is due
    claim = uuid.uuid4().hex
    claimed = (
        Order.objects.filter(WAITS_ON_PROVIDER, pk=order.pk)
        .filter(Q(poll_claim="") | Q(next_poll_at__lte=now))
        .update(poll_claim=claim, next_poll_at=max(at, now) + POLL_LEASE)
    )
    if claimed:
        order_id = order.pk
        transaction.on_commit(
            lambda: order_poll.apply_async((order_id, claim), countdown=countdown), robust=True
        )
    return bool(claimed)


def order_poll_soon(*, order: Order) -> bool:
    """Ask the provider about `order` now, from a worker (after a terminal-state callback
    that carries no vouchers, or staff's "check status now"). An order waiting on its
    provider (processing, or in review past its deadline) gets a claimed poll (no second
    status call beside one in flight); an order we already failed or refunded is looked
    up once, so a late success reaches `needs_review` instead of being dropped. Returns
    whether a poll or lookup was queued (sent after commit)."""
    if order.waits_on_provider:
        return _claim_and_enqueue_poll(order, at=timezone.now())
    if order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        from orders.tasks import order_recheck

        order_id = order.pk
        transaction.on_commit(lambda: order_recheck.delay(order_id), robust=True)
        return True
    return False


def order_recheck(*, order_id: int) -> Order | None:
    """Look a failed or refunded order up once more at its provider and apply what it
    says (a success there moves the order to `needs_review`; nothing else changes it)."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status not in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        return order
    try:
        adapter = get_adapter(order.provider_code)
        if _reference_too_old(order, adapter):
            return order
        request = order_request_for(order)
        result = adapter.check_order(request)
    except Exception:
        logger.exception("rechecking %s failed", order.code)
        return order
    return order_apply_provider_update(
        order=order, result=result, rule=adapter.pending_rule, reference=request.reference
    )


def order_poll(*, order_id: int, claim: str = "") -> Order | None:
    """Ask the provider about an order that waits on it (processing, or in review past its
    deadline) and apply the answer. Only the message holding the order's current
    `poll_claim` runs (a duplicate finds the claim gone). The clock never refunds: a
    pending or unknown answer past the deadline hands the order to a person while the
    slow schedule keeps asking (`order_apply_provider_update`)."""
    now = timezone.now()
    with transaction.atomic():
        order = order_lock(Order(pk=order_id))
        if not order.waits_on_provider or (claim and order.poll_claim != claim):
            return None
        in_flight_elsewhere = order.poll_claim.startswith("run:") and (
            order.next_poll_at is not None and order.next_poll_at > now
        )
        if not claim and in_flight_elsewhere:
            return None  # another poll is inside its status call; it will apply the answer
        try:
            adapter = get_adapter(order.provider_code)
        except (UnknownProvider, NotConfigured) as exc:
            # Without an adapter no poll can ever settle it: a person must, now.
            return order_stop_polling(order=order, reason=f"cannot check this order: {exc}")
        too_old = _reference_too_old(order, adapter)
        if too_old:
            return order_stop_polling(order=order, reason=too_old)
        # The claim is kept while the status call is in flight (a callback-triggered poll
        # then waits its turn) and released once the answer is applied.
        # A new value: the message's claim is spent (a duplicate finds it gone).
        in_flight = order.poll_claim = f"run:{uuid.uuid4().hex[:28]}"
        order.poll_count += 1
        order.next_poll_at = now + POLL_LEASE
        order.save(update_fields=["poll_claim", "poll_count", "next_poll_at", "updated_at"])
        request = order_request_for(order)  # the current attempt's
    try:
        result = adapter.check_order(request)
    except Exception as exc:
        logger.exception("checking %s raised", order.code)
        result = ProviderResult(status=ProviderStatus.UNKNOWN, message=f"status check error: {exc}")
    Order.objects.filter(pk=order.pk, poll_claim=in_flight).update(poll_claim="")
    order.poll_claim = ""
    return _settle_poll(order, adapter, result, polled_at=now, reference=request.reference)


def _settle_poll(
    order: Order,
    adapter: UpstreamAdapter,
    result: ProviderResult,
    *,
    polled_at: datetime,
    reference: str,
) -> Order:
    """Apply a poll's answer about the attempt `reference`. A "never got it" answer is
    acted on only while that attempt is still the current one."""
    if result.status != ProviderStatus.NOT_FOUND:
        return _apply(order, adapter, result, reference=reference)
    if order_attempt_current(order=order).reference != reference:
        return order  # the order failed over meanwhile: this answer is about the past
    past_deadline = order.deadline_at is not None and polled_at >= order.deadline_at
    if order.needs_verification and past_deadline:
        # The provider's word that it never got the order: nothing can be delivered.
        return order_fail_and_refund(
            order=order,
            reason=f"{order.provider_code} never received this order by its deadline.",
            failure=result,
            kind=FailureKind.TIMEOUT,
        )
    if order.needs_verification:
        return _place_again(order, adapter, reference=reference)
    return _review_if_still_waiting(
        order, message=f"{order.provider_code} no longer knows this order."
    )


def _review_if_still_waiting(order: Order, *, message: str) -> Order:
    """Hand a polled order to a person, unless a callback settled it during the poll."""
    with transaction.atomic():
        order = order_lock(order)
        if order.status == OrderStatus.PROCESSING:
            return order_flag_review(order=order, message=message)
        return order_stop_polling(order=order, reason=message)


def _place_again(order: Order, adapter: UpstreamAdapter, *, reference: str) -> Order:
    """The provider confirmed it never received the attempt `reference`: place it again
    with the same reference (unless the order moved on meanwhile)."""
    with transaction.atomic():
        order = order_lock(order)
        if order.status != OrderStatus.PROCESSING or not order.needs_verification:
            return order
        if order_attempt_current(order=order).reference != reference:
            return order
        order.attempts += 1
        order.next_poll_at = timezone.now() + adapter.pending_rule.verify_after
        order.save(update_fields=["attempts", "next_poll_at", "updated_at"])
    return _place_and_apply(order, adapter)


class PollClaim(NamedTuple):
    order_id: int
    claim: str
    provider_code: str


def orders_poll_due(*, batch_size: int = POLL_BATCH_SIZE) -> list[tuple[int, str]]:
    """Claim up to `batch_size` orders due a poll, whatever their provider (the oldest due
    first), and return (order id, claim) pairs to enqueue (see `orders_claim_due`)."""
    return [(claimed.order_id, claimed.claim) for claimed in orders_claim_due(limit=batch_size)]


def orders_claim_due(
    *, limit: int, provider_code: str | None = None, other_than: Sequence[str] = ()
) -> list[PollClaim]:
    """Claim up to `limit` orders waiting on their provider whose poll time has come, the
    oldest due first: of `provider_code` only when given, of none of `other_than`.

    On PostgreSQL one statement: `UPDATE ... RETURNING` over a `SELECT ... FOR UPDATE SKIP
    LOCKED` subquery, so concurrent claimers (and callbacks holding an order) never wait on
    each other and never get the same order. Each claimed order gets a fresh claim (what its
    `order_poll` message must carry; a duplicate finds it gone) and its next poll a lease
    ahead, so it is not claimed again while its message waits. Orders in review for any
    other reason are never polled."""
    now = timezone.now()
    due = Order.objects.filter(WAITS_ON_PROVIDER, next_poll_at__lte=now)
    if provider_code is not None:
        due = due.filter(provider_code=provider_code)
    if other_than:
        due = due.exclude(provider_code__in=other_than)
    due = due.order_by("next_poll_at").select_for_update(skip_locked=True)
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return _claim_one_by_one(due, limit=limit, now=now)
        select_sql, params = (
            due.values("pk", "next_poll_at")[:limit].query.get_compiler(using=due.db).as_sql()
        )
        table = connection.ops.quote_name(Order._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(  # identifiers from the model's metadata, values as parameters
                f"UPDATE {table} AS claimed "  # noqa: S608
                "SET poll_claim = replace(gen_random_uuid()::text, '-', ''), next_poll_at = %s "
                f"FROM ({select_sql}) AS due(id, due_at) WHERE claimed.id = due.id "
                "RETURNING claimed.id, claimed.poll_claim, claimed.provider_code, due.due_at",
                [now + POLL_LEASE, *params],
            )
            rows = cursor.fetchall()
    # RETURNING keeps no order: the oldest due first, as claimed.
    rows.sort(key=lambda row: (row[3], row[0]))
    return [PollClaim(*row[:3]) for row in rows]


def _claim_one_by_one(due, *, limit: int, now: datetime) -> list[PollClaim]:
    """`orders_claim_due` where UPDATE ... RETURNING over a locking subquery is not to be
    had (SQLite, whose writers take the whole database anyway)."""
    claims = [
        PollClaim(order_id, uuid.uuid4().hex, provider_code)
        for order_id, provider_code in due.values_list("pk", "provider_code")[:limit]
    ]
    for claimed in claims:
        Order.objects.filter(pk=claimed.order_id).update(
            poll_claim=claimed.claim, next_poll_at=now + POLL_LEASE
        )
    return claims


def poll_budget(provider_code: str) -> int:
    """How many of `provider_code`'s due orders one beat claims: what its status-call rate
    allows until the next beat, so claimed orders are asked well within their lease."""
    per_second = provider_call_limits(provider_code).per_second
    return max(1, math.ceil(per_second * POLL_BEAT.total_seconds()))


def orders_claim_due_by_provider() -> dict[str, list[PollClaim]]:
    """One beat's claims, by provider: each upstream provider's due orders up to its
    `poll_budget` (one claim statement each), and up to POLL_BATCH_SIZE orders of any other
    code (an unknown provider: their poll hands them to a person)."""
    claims: dict[str, list[PollClaim]] = {}
    for code in UPSTREAM_ADAPTERS:
        claimed = orders_claim_due(limit=poll_budget(code), provider_code=code)
        if claimed:
            claims[code] = claimed
    for claimed in orders_claim_due(limit=POLL_BATCH_SIZE, other_than=list(UPSTREAM_ADAPTERS)):
        claims.setdefault(claimed.provider_code, []).append(claimed)
    return claims


def orders_poll_claimed(*, provider_code: str, claims: Sequence[tuple[int, str]]) -> int:
    """Poll claimed orders of one provider (`order_poll` each), with at most POLL_THREADS
    at once in this process and the provider's rate and concurrency (`provider_call_permit`,
    shared by every worker) respected. An order that gets no permit in time is handed
    back, due now, to the next beat. Returns how many were polled.

    Each thread uses its own database connection, closed when it ends. An eager Celery
    (tests) polls in the caller's thread."""
    from orders.tasks import order_poll_claimed  # the tasks module imports this one

    threads = min(settings.POLL_THREADS, provider_call_limits(provider_code).concurrency)
    if order_poll_claimed.app.conf.task_always_eager:
        threads = 1
    pending = deque(claims)
    polled = []

    def poll_next() -> None:
        while True:
            try:
                order_id, claim = pending.popleft()
            except IndexError:
                return
            try:
                with provider_call_permit(provider_code):
                    order_poll(order_id=order_id, claim=claim)
                polled.append(order_id)
            except ProviderBusy:
                # Untouched by this message: due again now, for the next beat to claim.
                Order.objects.filter(pk=order_id, poll_claim=claim).update(
                    poll_claim="", next_poll_at=timezone.now()
                )
            except Exception:  # the lease ends and the next beat claims the order again
                logger.exception("polling order %s raised", order_id)

    def in_own_connection() -> None:
        try:
            poll_next()
        finally:
            connection.close()

    if threads <= 1:
        poll_next()
        return len(polled)
    workers = [threading.Thread(target=in_own_connection) for _ in range(min(threads, len(claims)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(polled)


def orders_reconcile() -> dict[str, list[int]]:
    """What saves an order when a worker dies or a message is lost: paid orders never
    placed are returned for placing again; processing orders without a next poll get
    one now; processing orders past their deadline are made due now (their deadline
    poll hands them to a person if the provider has still not finished)."""
    now = timezone.now()
    unplaced = list(
        Order.objects.filter(
            status=OrderStatus.PAID, paid_at__lte=now - PLACEMENT_GRACE
        ).values_list("pk", flat=True)
    )
    lost = Order.objects.filter(status=OrderStatus.PROCESSING, next_poll_at__isnull=True)
    lost_ids = list(lost.values_list("pk", flat=True))
    lost.update(next_poll_at=now)
    overdue = Order.objects.filter(
        status=OrderStatus.PROCESSING, deadline_at__lte=now, next_poll_at__gt=now + POLL_LEASE
    )
    overdue_ids = list(overdue.values_list("pk", flat=True))
    overdue.update(next_poll_at=now)
    return {"unplaced": unplaced, "lost_polls": lost_ids, "overdue": overdue_ids}


def orders_expire_unpaid() -> int:
    """Orders past their payment time: expired, a gateway order only after asking the
    gateway (`orders.payment_checks`), and bill inquiries past their cut-off. Returns how
    many expired."""
    return payment_checks.orders_expire_unpaid() + bills_expire_inquiries()
