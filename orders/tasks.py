"""Thin Celery wrappers: each takes ids, calls one service, and is safe to run twice."""

from contextlib import suppress

from celery import shared_task
from django.conf import settings

from orders import payment_checks, pipeline


@shared_task(name="orders.tasks.order_place")
def order_place(order_id: int) -> None:
    pipeline.order_place(order_id=order_id)


@shared_task(name="orders.tasks.order_poll")
def order_poll(order_id: int, claim: str = "") -> None:
    pipeline.order_poll(order_id=order_id, claim=claim)


@shared_task(name="orders.tasks.order_recheck")
def order_recheck(order_id: int) -> None:
    pipeline.order_recheck(order_id=order_id)


@shared_task(name="orders.tasks.orders_poll_due")
def orders_poll_due() -> None:
    """The beat: claim what each provider may be asked until the next beat, and fan it out
    in chunks (docs/pipeline.md#polling-at-volume)."""
    chunk = settings.POLL_CHUNK_SIZE
    for provider_code, claims in pipeline.orders_claim_due_by_provider().items():
        pairs = [(claimed.order_id, claimed.claim) for claimed in claims]
        for start in range(0, len(pairs), chunk):
            order_poll_claimed.delay(provider_code, pairs[start : start + chunk])


@shared_task(name="orders.tasks.order_poll_claimed")
def order_poll_claimed(provider_code: str, claims: list[list]) -> None:
    pipeline.orders_poll_claimed(
        provider_code=provider_code, claims=[(order_id, claim) for order_id, claim in claims]
    )


@shared_task(name="orders.tasks.orders_reconcile")
def orders_reconcile() -> None:
    for order_id in pipeline.orders_reconcile()["unplaced"]:
        order_place.delay(order_id)


@shared_task(name="orders.tasks.orders_expire_unpaid")
def orders_expire_unpaid() -> None:
    pipeline.orders_expire_unpaid()


@shared_task(name="orders.tasks.gateway_payments_sweep")
def gateway_payments_sweep() -> None:
    due = payment_checks.gateway_payments_to_check()
    for order_id in due.order_ids:
        order_payment_check.delay(order_id)
    for deposit_id in due.deposit_ids:
        deposit_payment_check.delay(deposit_id)


@shared_task(name="orders.tasks.order_payment_check")
def order_payment_check(order_id: int) -> None:
    with suppress(payment_checks.CannotAsk):  # nothing changed; the next sweep asks again
        payment_checks.order_payment_check(order_id=order_id)


@shared_task(name="orders.tasks.deposit_payment_check")
def deposit_payment_check(deposit_id: int) -> None:
    with suppress(payment_checks.CannotAsk):  # nothing changed; the next sweep asks again
        payment_checks.deposit_payment_check(deposit_id=deposit_id)
