"""Callbacks to resellers, signed the Standard Webhooks way, retried for 24 hours.

- `reseller_order_transitioned` receives `orders.signals.order_transitioned` (connected in
  `ResellersConfig.ready`), sent by `order_transition` inside its transaction: an API order
  that reaches a callback state gets a CallbackDelivery row in the same transaction (so a
  callback exists exactly when the state change commits), and is sent once it commits.
- `callback_deliver` claims a due delivery, POSTs it, and logs a CallbackAttempt. 2xx ends
  it; a timeout, connection error, 5xx, 408 or 429 is retried with exponential back-off
  until 24 hours have passed since the first try (or the last resend); any other reply ends
  it as failed. `callbacks_due` (beat) sends what is due, so a lost message only delays.
  Only the start of a reply is read, for a bounded time, and the task has its own short
  time limit: a slow or endless receiver costs a worker seconds per attempt, and an attempt
  that never finishes still counts, so every delivery ends within its window.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import timedelta

import requests
from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderStatus
from resellers.models import (
    ApiOrder,
    CallbackAttempt,
    CallbackDelivery,
    CallbackStatus,
    ResellerSettings,
)
from resellers.urlguard import UnresolvableUrl, UnsafeUrl, callback_target, pinned_post

logger = logging.getLogger(__name__)

# Failed orders of a wallet are refunded in the same transaction, so `refunded` is the
# failure callback; `failed` alone would announce money that is already back.
CALLBACK_EVENTS = {
    OrderStatus.SUCCESS: "order.success",
    OrderStatus.REFUNDED: "order.refunded",
    OrderStatus.NEEDS_REVIEW: "order.needs_review",
}
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=4)
# A claimed delivery is not picked again for this long (longer than one POST can take).
CLAIM_LEASE = timedelta(minutes=2)
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
RESPONSE_LOGGED = 2000
RETRY_STATUSES = frozenset({408, 429})


def sign(*, secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def retry_delay(attempts_made: int) -> timedelta:
    """Wait after the `attempts_made`-th failed try: 30 s, 1 min, 2 min, ... capped at 4 h."""
    return min(FIRST_RETRY * 2 ** (attempts_made - 1), MAX_RETRY_DELAY)


def retry_schedule() -> list[timedelta]:
    """Offsets from the first try of every try made when all fail (for docs and tests)."""
    offsets, at, made = [timedelta(0)], timedelta(0), 1
    while at + retry_delay(made) <= RETRY_WINDOW:
        at += retry_delay(made)
        offsets.append(at)
        made += 1
    return offsets


def reseller_order_transitioned(*, order: Order, **signal_kwargs) -> None:
    """Queue a callback if `order` is an API order that just reached a callback state and
    its reseller has a callback URL. Runs inside the caller's transaction (the receiver of
    `orders.signals.order_transitioned`)."""
    event_type = CALLBACK_EVENTS.get(order.status)
    if event_type is None or order.user_id is None:
        return
    api_order = ApiOrder.objects.filter(order_id=order.pk).first()
    if api_order is None:
        return
    if not ResellerSettings.objects.filter(user_id=order.user_id).exclude(callback_url="").exists():
        return
    from resellers.serializers import OrderOutput  # serializers import models only

    api_order.order = order
    now = timezone.now()
    delivery = CallbackDelivery.objects.create(
        user_id=order.user_id,
        order=order,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        event_type=event_type,
        payload={
            "type": event_type,
            "timestamp": now.isoformat(),
            "data": OrderOutput(api_order).data,
        },
        window_started_at=now,
        next_attempt_at=now,
    )
    _send_after_commit(delivery)


def _send_after_commit(delivery: CallbackDelivery) -> None:
    from resellers.tasks import callback_deliver  # the tasks module imports this one

    delivery_id = delivery.pk
    # robust: a broker that is down must not undo the order's move; the beat sends it later.
    transaction.on_commit(lambda: callback_deliver.delay(delivery_id), robust=True)


@transaction.atomic
def callback_resend(*, delivery: CallbackDelivery) -> CallbackDelivery:
    """Send a delivery again now, whatever its state, with the same webhook id; its 24-hour
    retry window starts again."""
    delivery = CallbackDelivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    delivery.status = CallbackStatus.PENDING
    delivery.window_started_at = now
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "window_started_at", "next_attempt_at", "updated_at"])
    _send_after_commit(delivery)
    return delivery


def _claim(delivery_id: int) -> tuple[CallbackDelivery, ResellerSettings | None] | None:
    """Take a due delivery for one attempt, counted now: an attempt that never finishes
    (its worker killed) still counts, and the delivery comes due again only after the
    back-off that attempt would have earned. Past its window it gives up instead."""
    with transaction.atomic():
        delivery = (
            CallbackDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, status=CallbackStatus.PENDING)
            .first()
        )
        now = timezone.now()
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        if delivery.attempt_count and now > delivery.window_started_at + RETRY_WINDOW:
            delivery.status, delivery.next_attempt_at = CallbackStatus.GAVE_UP, None
            delivery.last_error = "No attempt got an answer within the retry window."
            delivery.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
            logger.warning("callback %s ended gave_up: window over", delivery.webhook_id)
            return None
        delivery.attempt_count += 1
        delivery.next_attempt_at = now + max(CLAIM_LEASE, retry_delay(delivery.attempt_count))
        delivery.save(update_fields=["attempt_count", "next_attempt_at", "updated_at"])
        found = ResellerSettings.objects.filter(user_id=delivery.user_id).first()
        return delivery, found


def callback_deliver(*, delivery_id: int) -> CallbackAttempt | None:
    """Make one attempt of a due, pending delivery; None when it is not due or is taken.

    The POST happens outside any transaction; the attempt and the next step are written
    afterwards under the row lock."""
    from resellers.services import signing_secrets

    claimed = _claim(delivery_id)
    if claimed is None:
        return None
    delivery, found = claimed
    url = found.callback_url if found is not None else ""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    http_status, error, response_text, retry = None, "", "", False
    started = time.monotonic()
    try:
        if not url:
            raise UnsafeUrl("The reseller has no callback URL.")
        target = callback_target(url)
        timestamp = int(time.time())
        signatures = " ".join(
            sign(secret=secret, webhook_id=delivery.webhook_id, timestamp=timestamp, body=body)
            for secret in signing_secrets(found)
        )
        reply = pinned_post(
            target,
            data=body.encode(),
            headers={
                "content-type": "application/json",
                "webhook-id": delivery.webhook_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signatures,
                "user-agent": "shop-callbacks/1",
            },
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            read_limit=RESPONSE_LOGGED,
            read_for=READ_TIMEOUT,
        )
        http_status, response_text = reply.status_code, reply.text
        retry = http_status >= 500 or http_status in RETRY_STATUSES
        if not 200 <= http_status < 300:
            error = f"HTTP {http_status}"
    except UnsafeUrl as exc:
        error = str(exc)
    except (UnresolvableUrl, requests.RequestException) as exc:
        error, retry = f"{type(exc).__name__}: {exc}"[:2000], True
    except Exception as exc:  # e.g. the task's time limit: the attempt is still recorded
        logger.exception("callback %s attempt raised", delivery.webhook_id)
        error, retry = f"{type(exc).__name__}: {exc}"[:2000], True
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record(delivery, url, http_status, error, response_text, retry, duration_ms)


@transaction.atomic
def _record(delivery, url, http_status, error, response_text, retry, duration_ms):
    delivery = CallbackDelivery.objects.select_for_update().get(pk=delivery.pk)
    number = delivery.attempt_count  # counted when claimed
    now = timezone.now()
    delivery.last_error = error
    if http_status is not None and 200 <= http_status < 300:
        delivery.status, delivery.next_attempt_at = CallbackStatus.DELIVERED, None
    elif retry and now + retry_delay(number) <= delivery.window_started_at + RETRY_WINDOW:
        delivery.next_attempt_at = now + retry_delay(number)
    else:
        delivery.status = CallbackStatus.GAVE_UP if retry else CallbackStatus.FAILED
        delivery.next_attempt_at = None
    delivery.save()
    will_retry = delivery.status == CallbackStatus.PENDING
    if not will_retry and delivery.status != CallbackStatus.DELIVERED:
        logger.warning(
            "callback %s to %s ended %s: %s", delivery.webhook_id, url, delivery.status, error
        )
    return CallbackAttempt.objects.create(
        delivery=delivery,
        number=number,
        url=url[:500],
        http_status=http_status,
        error=error,
        response_body=response_text,
        duration_ms=duration_ms,
        will_retry=will_retry,
    )


def callbacks_due(*, limit: int = 200) -> list[int]:
    """Ids of pending deliveries whose time has come (the beat enqueues each)."""
    return list(
        CallbackDelivery.objects.filter(
            status=CallbackStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
