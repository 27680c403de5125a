"""Thin Celery wrappers: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task

from resellers import callbacks


# One attempt: connect (5 s), an answer (15 s), the start of its body (15 s); the soft
# limit interrupts anything longer, and the attempt is recorded as a retryable failure.
@shared_task(name="resellers.tasks.callback_deliver", soft_time_limit=40, time_limit=50)
def callback_deliver(delivery_id: int) -> None:
    callbacks.callback_deliver(delivery_id=delivery_id)


@shared_task(name="resellers.tasks.callbacks_due")
def callbacks_due() -> None:
    for delivery_id in callbacks.callbacks_due():
        callback_deliver.delay(delivery_id)
