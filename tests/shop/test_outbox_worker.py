"""Exactly once under a killed worker: a real Celery worker sends WhatsApp messages to the
simulator on this test's live server; it is killed (SIGKILL) in the middle of a send, a new
one takes over, every message's task is sent again and the beat's sweep runs. Each message
reaches the simulator once: the one in flight is not sent again by itself (its outcome is
unknown: failed, for staff), the others are sent by the new worker."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from shop.celery import app
from shop.messaging.outbox import SENDING_STALE_AFTER, messages_requeue_due
from shop.messaging.templates import WhatsAppTemplate
from shop.models import MessageChannel, MessageState, OutboundMessage, SimulatedMessage
from shop.notifications import notify
from tests.conftest import start_celery_worker, stop_process, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = "+6281200000094"  # the simulator takes it, then answers late
OTHERS = [f"+62812000001{n:02d}" for n in range(10, 16)]


@pytest.fixture
def celery_worker_env(live_server, settings):
    settings.SIMULATOR_SLOW_SECONDS = 20  # the live server's simulator: the worker dies first
    return {
        "WHATSAPP_BASE_URL": f"{live_server.url}/sim/whatsapp",
        "PROVIDER_READ_TIMEOUT": "60",
    }


@pytest.fixture
def tasks_to_the_broker():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def tell(number: str) -> None:
    notify(
        phone=number,
        title="Paid",
        whatsapp=WhatsAppTemplate(name="order_paid", language="en", params=["T", "P", "1", "u"]),
        event_key=f"paid:{number}",
    )


def slow_id() -> int:
    return OutboundMessage.objects.get(recipient=SLOW).pk


def received_by(number: str) -> int:
    return SimulatedMessage.objects.filter(recipient=number.removeprefix("+")).count()


def test_a_killed_worker_never_sends_a_message_twice(
    tasks_to_the_broker, celery_worker_env, celery_worker_process, tmp_path
):
    tell(SLOW)
    for number in OTHERS:
        tell(number)

    # The worker is inside the slow send: the simulator has taken it, no reply yet.
    assert wait_until(lambda: received_by(SLOW) == 1, timeout=60)
    celery_worker_process.send_signal(signal.SIGKILL)
    celery_worker_process.wait()
    assert OutboundMessage.objects.get(recipient=SLOW).state == MessageState.SENDING

    worker = start_celery_worker(tmp_path / "worker-2.log", celery_worker_env)
    try:
        for message in OutboundMessage.objects.all():  # every task again, as a broker may
            app.send_task("shop.tasks.outbound_message_send", args=[message.pk])
        sent = OutboundMessage.objects.filter(
            channel=MessageChannel.WHATSAPP, recipient__in=OTHERS, state=MessageState.SENT
        )
        assert wait_until(lambda: sent.count() == len(OTHERS), timeout=90)
        # Later, the beat's sweep: the send left in flight is failed, not sent again.
        OutboundMessage.objects.filter(recipient=SLOW).update(
            claimed_at=timezone.now() - SENDING_STALE_AFTER - timedelta(minutes=1)
        )
        assert messages_requeue_due() == (0, 1)
        app.send_task("shop.tasks.outbound_messages_requeue")
        slow_again = app.send_task("shop.tasks.outbound_message_send", args=[slow_id()])
        # The worker takes tasks in order: once the last one ran, every earlier one did.
        log = tmp_path / "worker-2.log"
        assert wait_until(lambda: f"[{slow_again.id}] succeeded" in log.read_text(), timeout=60)
    finally:
        stop_process(worker, timeout=20)
        print((tmp_path / "worker-2.log").read_text())

    assert {number: received_by(number) for number in [SLOW, *OTHERS]} == dict.fromkeys(
        [SLOW, *OTHERS], 1
    )
    slow = OutboundMessage.objects.get(recipient=SLOW)
    assert slow.state == MessageState.FAILED
    assert slow.last_error.startswith("outcome unknown")
    assert slow.attempts == 1
    assert set(
        OutboundMessage.objects.filter(recipient__in=OTHERS).values_list("attempts", flat=True)
    ) == {1}
