"""The outbox: a message is recorded once with the event that causes it, then sent once.

- `message_record` writes the row in the caller's transaction (an event rolled back leaves
  no message) and enqueues its send after commit. The unique (event key, channel,
  recipient) makes a repeated event find the row it made, not a second one.
- `message_send` claims the row (queued → sending, one conditional UPDATE, only when due), then
  calls the channel. A second task for the same row, a task run again after a worker died,
  or the beat's re-enqueue finds it claimed or sent and does nothing. 429/5xx/no connection
  put it back in `queued` with a back-off (the channel's Retry-After when it gives one).
- A worker killed between the claim and the answer leaves the row in `sending`: it may have
  gone out, so it is never sent again by itself; `messages_requeue_due` (the beat) marks it
  failed after SENDING_STALE_AFTER for staff to resend (`message_resend`) if it did not.
"""

import logging
import random
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shop.errors import ApplicationError
from shop.messaging.backends import RetryLater, SendFailed, send
from shop.models import MessageState, OutboundMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 60 * 60
# A queued message due this long ago was not picked up (its task was lost): enqueue again.
QUEUED_STALE_AFTER = timedelta(minutes=2)
# No send takes this long (connect + read timeouts are seconds): its worker died mid-call.
SENDING_STALE_AFTER = timedelta(minutes=10)


def message_record(
    *,
    event_key: str,
    channel: str,
    recipient: str,
    subject: str = "",
    body: str = "",
    template: str = "",
    language: str = "",
    params: list | None = None,
    confidential: bool = False,
    alert_kind: str = "",
) -> OutboundMessage:
    """The message for (event_key, channel, recipient), created if new and sent after the
    surrounding transaction commits; an existing one is returned as it is (never sent
    twice)."""
    values = {
        "subject": subject[:200],
        "body": body,
        "template": template,
        "language": language,
        "params": params or [],
        "confidential": confidential,
        "alert_kind": alert_kind,
    }
    try:
        with transaction.atomic():  # a savepoint: a lost race must not spoil the caller's
            message, created = OutboundMessage.objects.get_or_create(
                event_key=event_key[:200], channel=channel, recipient=recipient, defaults=values
            )
    except IntegrityError:
        message = OutboundMessage.objects.get(
            event_key=event_key[:200], channel=channel, recipient=recipient
        )
        created = False
    if created:
        message_enqueue(message)
    return message


def message_enqueue(message: OutboundMessage, *, countdown: float = 0) -> None:
    """Send `message` (by id) from a worker once the current transaction commits."""
    from shop.tasks import outbound_message_send  # tasks import this module

    message_id = message.pk
    transaction.on_commit(
        lambda: outbound_message_send.apply_async(args=[message_id], countdown=countdown),
        robust=True,  # a broker that is down leaves the row queued: the beat sends it later
    )


def _claim(message_id: int) -> OutboundMessage | None:
    """queued and due → sending, in one conditional UPDATE (atomic on PostgreSQL and
    SQLite alike); None when another worker has it, or it is sent, failed or not due."""
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id, state=MessageState.QUEUED, next_attempt_at__lte=now
    ).update(state=MessageState.SENDING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now)
    return OutboundMessage.objects.get(pk=message_id) if claimed else None


def backoff_seconds(attempts: int, asked: float | None) -> float:
    """The channel's own wait when it gave one; else exponential with jitter, capped."""
    if asked is not None:
        return min(max(asked, 1.0), BACKOFF_MAX_SECONDS)
    exponential = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(exponential, BACKOFF_MAX_SECONDS) * random.uniform(0.8, 1.2)


def message_send(*, message_id: int) -> OutboundMessage | None:
    """Send one message if it is queued and due: claimed first, so at most one worker calls
    the channel for it; the outcome is written under the row's state `sending` only."""
    message = _claim(message_id)
    if message is None:
        return None
    try:
        sent = send(message)
    except RetryLater as exc:
        if message.attempts >= MAX_ATTEMPTS:
            return _settle(message, state=MessageState.FAILED, error=f"gave up: {exc.reason}")
        delay = backoff_seconds(message.attempts, exc.after)
        message = _settle(
            message,
            state=MessageState.QUEUED,
            error=exc.reason,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        message_enqueue(message, countdown=delay)
        return message
    except SendFailed as exc:
        return _settle(message, state=MessageState.FAILED, error=exc.reason)
    except Exception as exc:  # our bug, not the channel's: stop, and say so in the admin
        logger.exception("sending outbound message #%s failed", message.pk)
        return _settle(message, state=MessageState.FAILED, error=f"{type(exc).__name__}: {exc}")
    return _settle(
        message, state=MessageState.SENT, external_id=sent.external_id, sent_at=timezone.now()
    )


def _settle(message: OutboundMessage, *, state: str, error: str = "", **fields) -> OutboundMessage:
    """Write the send's outcome, only over `sending` (the state this worker claimed)."""
    values = {"state": state, "last_error": error[:2000], "updated_at": timezone.now(), **fields}
    OutboundMessage.objects.filter(pk=message.pk, state=MessageState.SENDING).update(**values)
    if state == MessageState.FAILED:
        logger.warning("outbound message #%s failed: %s", message.pk, error)
    message.refresh_from_db()
    return message


def messages_requeue_due() -> tuple[int, int]:
    """The beat's sweep: enqueue queued messages whose task was lost, and mark failed the
    ones left in `sending` by a worker that died (never sent again by themselves).
    Returns (enqueued, marked failed)."""
    now = timezone.now()
    stale_sending = OutboundMessage.objects.filter(
        state=MessageState.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER
    ).update(
        state=MessageState.FAILED,
        last_error=(
            "outcome unknown: the worker stopped while sending; it may have been received. "
            "Resend it if the recipient did not get it."
        ),
        updated_at=now,
    )
    due = list(
        OutboundMessage.objects.filter(
            state=MessageState.QUEUED, next_attempt_at__lte=now - QUEUED_STALE_AFTER
        ).values_list("pk", flat=True)[:500]
    )
    from shop.tasks import outbound_message_send

    for message_id in due:
        outbound_message_send.delay(message_id)
    return len(due), stale_sending


@transaction.atomic
def message_resend(*, message: OutboundMessage) -> OutboundMessage:
    """Staff send a failed message again (the caller records who did it): back to queued,
    due now, attempts counted afresh. Only a failed message may be resent, so a resend
    never races a send in progress."""
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != MessageState.FAILED:
        raise ApplicationError(
            f"Only a failed message can be resent (this one is {message.state}).",
            code="not_allowed",
        )
    message.state = MessageState.QUEUED
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    message_enqueue(message)
    return message
