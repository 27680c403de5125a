"""The outbox (shop/messaging/outbox.py): recorded once with its event, claimed before it
is sent, backed off on "not now", never sent twice by a retry, a duplicate task or the
beat's sweep; failures visible and resent by staff (audited)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.utils import timezone

from ops.models import MessageResend
from ops.services import ops_message_resend
from shop.errors import ApplicationError
from shop.messaging import backends
from shop.messaging.backends import RetryLater, SendFailed
from shop.messaging.outbox import (
    SENDING_STALE_AFTER,
    backoff_seconds,
    message_record,
    message_send,
    messages_requeue_due,
)
from shop.models import MessageChannel, MessageState, OutboundMessage
from shop.notifications import notify

pytestmark = pytest.mark.django_db(transaction=True)


def record(**overrides) -> OutboundMessage:
    values = {
        "event_key": "test:1",
        "channel": MessageChannel.EMAIL,
        "recipient": "buyer@example.com",
        "subject": "Hello",
        "body": "Body",
    }
    return message_record(**{**values, **overrides})


def test_a_message_is_sent_after_commit_once():
    with transaction.atomic():
        message = record()
        assert mail.outbox == []  # not before the event's transaction commits

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 1
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


def test_the_same_event_makes_no_second_message():
    first = record()
    second = record(subject="Another subject")

    assert second.pk == first.pk
    assert OutboundMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_rolled_back_event_leaves_no_message():
    def failing_event():
        with transaction.atomic():
            record()
            raise RuntimeError("the event failed")

    with pytest.raises(RuntimeError):
        failing_event()

    assert OutboundMessage.objects.count() == 0
    assert mail.outbox == []


def test_a_task_run_again_for_a_sent_message_does_nothing():
    message = record()

    assert message_send(message_id=message.pk) is None
    assert message_send(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.attempts == 1
    assert len(mail.outbox) == 1


def test_not_now_puts_it_back_with_the_channels_wait(monkeypatch):
    calls = []

    def busy(message):
        calls.append(message.pk)
        raise RetryLater("HTTP 429: slow down", after=42)

    monkeypatch.setattr(backends, "send", busy)
    monkeypatch.setattr("shop.messaging.outbox.send", busy)
    before = timezone.now()
    message = record()

    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.last_error == "HTTP 429: slow down"
    assert message.next_attempt_at >= before + timedelta(seconds=42)
    # The retry task ran at once (eager), found it not due, and left it alone.
    assert calls == [message.pk]


def test_backoff_grows_and_honours_the_channel():
    assert backoff_seconds(1, 7) == 7
    assert backoff_seconds(1, 999_999) == 3600
    assert 24 <= backoff_seconds(1, None) <= 36
    assert 96 <= backoff_seconds(3, None) <= 144


def test_it_gives_up_after_the_last_attempt(monkeypatch):
    def busy(message):
        raise RetryLater("HTTP 503")

    monkeypatch.setattr("shop.messaging.outbox.send", busy)
    message = record()
    for _ in range(10):
        OutboundMessage.objects.filter(pk=message.pk, state=MessageState.QUEUED).update(
            next_attempt_at=timezone.now()
        )
        message_send(message_id=message.pk)

    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.attempts == 8
    assert message.last_error == "gave up: HTTP 503"


def test_a_refusal_fails_it_for_good(monkeypatch):
    def refused(message):
        raise SendFailed("HTTP 400: bad template")

    monkeypatch.setattr("shop.messaging.outbox.send", refused)
    message = record()

    message.refresh_from_db()
    assert (message.state, message.last_error) == (MessageState.FAILED, "HTTP 400: bad template")


def test_the_sweep_enqueues_lost_sends_and_fails_dead_ones(monkeypatch):
    monkeypatch.setattr("shop.messaging.outbox.message_enqueue", lambda *a, **k: None)
    lost = record(event_key="lost")
    dead = record(event_key="dead")
    OutboundMessage.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    OutboundMessage.objects.filter(pk=dead.pk).update(
        state=MessageState.SENDING, claimed_at=timezone.now() - SENDING_STALE_AFTER * 2
    )

    assert messages_requeue_due() == (1, 1)

    lost.refresh_from_db()
    dead.refresh_from_db()
    assert lost.state == MessageState.SENT
    assert dead.state == MessageState.FAILED
    assert dead.last_error.startswith("outcome unknown")
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]  # the dead one: not again


def test_staff_resend_a_failed_message_and_it_is_recorded(monkeypatch, admin_user):
    monkeypatch.setattr(
        "shop.messaging.outbox.send", lambda m: (_ for _ in ()).throw(SendFailed("down"))
    )
    message = record()
    monkeypatch.undo()

    ops_message_resend(message=message, actor=admin_user)

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    (resend,) = MessageResend.objects.all()
    assert (resend.staff, resend.message, resend.error_before) == (admin_user, message, "down")
    with pytest.raises(ApplicationError, match="Only a failed message"):
        ops_message_resend(message=message, actor=admin_user)


def test_the_resend_action_needs_the_permission(client, django_user_model, monkeypatch):
    monkeypatch.setattr(
        "shop.messaging.outbox.send", lambda m: (_ for _ in ()).throw(SendFailed("down"))
    )
    message = record()
    monkeypatch.undo()
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_outboundmessage"))
    client.force_login(staff)
    url = "/admin/shop/outboundmessage/"

    page = client.get(url)
    client.post(url, {"action": "resend_selected", "_selected_action": [message.pk]})

    assert page.status_code == 200
    assert b"resend_selected" not in page.content
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert not MessageResend.objects.exists()


def test_codes_are_not_shown_in_the_admin(admin_client):
    message = record(body="Code SECRET-123", confidential=True)

    page = admin_client.get(f"/admin/shop/outboundmessage/{message.pk}/change/")

    assert page.status_code == 200
    assert b"SECRET-123" not in page.content


def test_notify_keeps_its_old_calls_working():
    notify(title="Staff notice", message="Something happened")
    notify(email="guest@example.com", title="To a guest", message="Hi")

    assert sorted(m.recipient for m in OutboundMessage.objects.all()) == ["", "guest@example.com"]
    assert all(m.state == MessageState.SENT for m in OutboundMessage.objects.all())
    assert ["guest@example.com"] in [m.to for m in mail.outbox]
