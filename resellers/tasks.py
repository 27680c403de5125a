"""Thin Celery wrappers: each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task

from resellers import callbacks


@shared_task(name="resellers.tasks.callback_deliver")
def callback_deliver(delivery_id: int) -> None:
    callbacks.callback_deliver(delivery_id=delivery_id)


@shared_task(name="resellers.tasks.callbacks_due")
def callbacks_due() -> None:
    for delivery_id in callbacks.callbacks_due():
        callback_deliver.delay(delivery_id)
