"""Callbacks to the reseller: Standard Webhooks signatures (checked here with the reference
library, `standardwebhooks`), rotation, retries and their stop, resend. The receiver is a
real HTTP server."""

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from orders.models import OrderStatus
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from resellers import callbacks
from resellers.callbacks import callback_deliver, retry_schedule
from resellers.models import CallbackAttempt, CallbackDelivery, CallbackStatus
from resellers.services import (
    ApiOrderRequest,
    api_order_create,
    new_secret,
    reseller_rotate_secret,
    reseller_set_callback_url,
    reseller_settings_for,
)

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """Standard Webhooks verification by the reference library (`standardwebhooks`): a v1
    signature matches and the timestamp is within 5 minutes."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@pytest.fixture
def api_order(funded_reseller, priced_product, receiver):
    reseller_set_callback_url(user=funded_reseller, url=receiver.url)
    api_order, _ = api_order_create(
        user=funded_reseller,
        ref_id="CB-1",
        request=ApiOrderRequest(
            product_id=priced_product.pk, customer_data={"user_id": "12345678"}
        ),
    )
    return api_order


def finish(order, status=ProviderStatus.SUCCESS, capture=None):
    result = ProviderResult(status=status, vouchers=[VoucherData(serial="SN-1")], message="done")
    with capture(execute=True):
        return order_apply_provider_update(order=order, result=result)


def test_success_sends_one_signed_callback(
    api_order, receiver, funded_reseller, django_capture_on_commit_callbacks
):
    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    [request] = receiver.requests
    secret = reseller_settings_for(user=funded_reseller).secret
    assert verify(secret, request["headers"], request["body"])
    assert not verify(new_secret(), request["headers"], request["body"])
    tampered = request["body"].replace(b"SN-1", b"SN-2")
    assert not verify(secret, request["headers"], tampered)
    payload = json.loads(request["body"])
    assert payload["type"] == "order.success"
    assert payload["data"]["ref_id"] == "CB-1"
    assert payload["data"]["status"] == OrderStatus.SUCCESS
    assert payload["data"]["vouchers"][0]["serial"] == "SN-1"
    delivery = CallbackDelivery.objects.get()
    assert request["headers"]["webhook-id"] == delivery.webhook_id
    assert delivery.status == CallbackStatus.DELIVERED
    assert delivery.attempt_count == 1
    assert CallbackAttempt.objects.get().http_status == 200


def test_a_failure_is_announced_once_as_refunded(
    api_order, receiver, django_capture_on_commit_callbacks
):
    finish(api_order.order, ProviderStatus.FAILED, capture=django_capture_on_commit_callbacks)

    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert payload["type"] == "order.refunded"
    assert payload["data"]["status"] == OrderStatus.REFUNDED
    assert payload["data"]["message"].startswith("Refunded to your wallet")


def test_orders_not_made_over_the_api_send_nothing(
    balance_order, receiver, django_capture_on_commit_callbacks
):
    from orders.services.payments import order_pay_with_balance

    reseller_set_callback_url(user=balance_order.user, url=receiver.url)
    order = order_pay_with_balance(order=balance_order)
    finish(order, capture=django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert not CallbackDelivery.objects.exists()


def test_after_rotation_both_secrets_sign_until_the_grace_ends(
    api_order, receiver, funded_reseller, django_capture_on_commit_callbacks
):
    old = reseller_settings_for(user=funded_reseller).secret
    new = reseller_rotate_secret(user=funded_reseller).secret

    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    [request] = receiver.requests
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert verify(old, request["headers"], request["body"])
    assert verify(new, request["headers"], request["body"])
    delivery = CallbackDelivery.objects.get()
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with django_capture_on_commit_callbacks(execute=True):
            callbacks.callback_resend(delivery=delivery)
        late = receiver.requests[-1]
        assert len(late["headers"]["webhook-signature"].split(" ")) == 1
        assert verify(new, late["headers"], late["body"])
        assert not verify(old, late["headers"], late["body"])


def test_the_retry_schedule_is_exponential_within_24_hours():
    offsets = [int(offset.total_seconds()) for offset in retry_schedule()]

    assert offsets[:6] == [0, 30, 90, 210, 450, 930]  # waits of 30 s, 1, 2, 4, 8 min
    waits = [later - earlier for earlier, later in itertools.pairwise(offsets)]
    assert max(waits) == 4 * 3600
    assert offsets[-1] <= 24 * 3600 < offsets[-1] + 4 * 3600
    assert len(offsets) == 14


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_retryable_replies_are_retried_with_back_off(
    api_order, receiver, status, django_capture_on_commit_callbacks
):
    receiver.statuses = [status, 200]
    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    delivery = CallbackDelivery.objects.get()
    assert delivery.status == CallbackStatus.PENDING
    assert delivery.next_attempt_at - timezone.now() == pytest.approx(
        timedelta(seconds=30), abs=timedelta(seconds=2)
    )
    first = CallbackAttempt.objects.get()
    assert (first.http_status, first.will_retry, first.error) == (status, True, f"HTTP {status}")

    assert callback_deliver(delivery_id=delivery.pk) is None  # not due yet: nothing sent
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert callbacks.callbacks_due() == [delivery.pk]
        callback_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == CallbackStatus.DELIVERED
    assert delivery.attempt_count == 2
    assert len(receiver.requests) == 2
    # a retry keeps the message id
    assert len({request["headers"]["webhook-id"] for request in receiver.requests}) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_other_replies_stop_at_once(
    api_order, receiver, status, django_capture_on_commit_callbacks
):
    receiver.statuses = [status]
    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    delivery = CallbackDelivery.objects.get()
    assert delivery.status == CallbackStatus.FAILED
    assert delivery.next_attempt_at is None
    assert CallbackAttempt.objects.get().will_retry is False
    assert callbacks.callbacks_due() == []


def test_a_timeout_is_retried(api_order, receiver, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(callbacks, "READ_TIMEOUT", 0.3)
    receiver.delay = 1.0
    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    delivery = CallbackDelivery.objects.get()
    attempt = CallbackAttempt.objects.get()
    assert delivery.status == CallbackStatus.PENDING
    assert attempt.http_status is None
    assert attempt.will_retry
    assert "Timeout" in attempt.error


def test_retries_give_up_after_24_hours(api_order, receiver, django_capture_on_commit_callbacks):
    receiver.statuses = [500]
    start = timezone.now()
    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    delivery = CallbackDelivery.objects.get()
    while delivery.status == CallbackStatus.PENDING:
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            callback_deliver(delivery_id=delivery.pk)
        delivery.refresh_from_db()

    assert delivery.status == CallbackStatus.GAVE_UP
    assert delivery.attempt_count == len(retry_schedule())
    attempts = list(CallbackAttempt.objects.order_by("pk"))
    assert attempts[-1].created_at - start < timedelta(hours=24, minutes=1)
    assert [attempt.will_retry for attempt in attempts] == [True] * (len(attempts) - 1) + [False]


def test_resend_from_the_account_page(
    api_order, receiver, funded_reseller, client, django_capture_on_commit_callbacks
):
    receiver.statuses = [404, 200]
    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    delivery = CallbackDelivery.objects.get()
    assert delivery.status == CallbackStatus.FAILED
    client.force_login(funded_reseller)

    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(f"/account/api/callbacks/{delivery.pk}/resend/")

    assert reply.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == CallbackStatus.DELIVERED
    assert delivery.attempt_count == 2
    page = client.get("/account/api/").content.decode()
    assert "order.success" in page
    assert "Delivered" in page


def test_resend_from_the_admin(
    api_order, receiver, admin_client, django_capture_on_commit_callbacks
):
    receiver.statuses = [404, 200]
    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    delivery = CallbackDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        reply = admin_client.post(
            "/admin/resellers/callbackdelivery/",
            {"action": "resend", "_selected_action": [delivery.pk]},
        )

    assert reply.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == CallbackStatus.DELIVERED
    assert (
        admin_client.get(f"/admin/resellers/callbackdelivery/{delivery.pk}/change/").status_code
        == 200
    )


def test_another_reseller_cannot_resend(
    api_order, receiver, client, django_capture_on_commit_callbacks
):
    from tests.orders.fixtures import make_user

    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    client.force_login(make_user("intruder", reseller=True))

    assert (
        client.post(
            f"/account/api/callbacks/{CallbackDelivery.objects.get().pk}/resend/"
        ).status_code
        == 404
    )


def test_the_signature_is_what_the_reference_library_makes():
    secret = new_secret()
    body = '{"data":{"product_name":"Diamonds 💎 86","price":"10200.00"}}'

    ours = callbacks.sign(secret=secret, webhook_id="msg_1", timestamp=1_900_000_000, body=body)

    reference = Webhook(secret).sign(
        msg_id="msg_1", timestamp=datetime.fromtimestamp(1_900_000_000, tz=UTC), data=body
    )
    assert ours == reference
    assert ours != Webhook(new_secret()).sign(
        msg_id="msg_1", timestamp=datetime.fromtimestamp(1_900_000_000, tz=UTC), data=body
    )


def test_a_replayed_callback_is_refused_by_the_receivers_time_check(
    api_order, receiver, funded_reseller, django_capture_on_commit_callbacks
):
    finish(api_order.order, capture=django_capture_on_commit_callbacks)
    [request] = receiver.requests
    secret = reseller_settings_for(user=funded_reseller).secret

    assert abs(int(request["headers"]["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert not verify(secret, request["headers"], request["body"])


@pytest.fixture
def trickling_receiver():
    """Answers 200 with a 1 MB Content-Length, then sends the body a byte at a time."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"x")
            except OSError:
                return
            time.sleep(0.2)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/callback"
    stop.set()
    listener.close()


def test_a_receiver_that_trickles_its_reply_holds_the_worker_only_briefly(
    funded_reseller,
    priced_product,
    trickling_receiver,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    import time

    monkeypatch.setattr(callbacks, "READ_TIMEOUT", 1)
    reseller_set_callback_url(user=funded_reseller, url=trickling_receiver)
    api_order, _ = api_order_create(
        user=funded_reseller,
        ref_id="CB-SLOW",
        request=ApiOrderRequest(
            product_id=priced_product.pk, customer_data={"user_id": "12345678"}
        ),
    )
    started = time.monotonic()

    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    assert time.monotonic() - started < 4  # its 1 MB would take 2.3 days at this pace
    delivery = CallbackDelivery.objects.get()
    assert delivery.status == CallbackStatus.DELIVERED  # a 200 is the answer
    assert 0 < len(CallbackAttempt.objects.get().response_body) < 20


def test_an_attempt_cut_short_by_the_time_limit_is_recorded_and_retried(
    api_order, monkeypatch, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(callbacks, "pinned_post", too_slow)

    finish(api_order.order, capture=django_capture_on_commit_callbacks)

    delivery = CallbackDelivery.objects.get()
    attempt = CallbackAttempt.objects.get()
    assert (delivery.status, delivery.attempt_count) == (CallbackStatus.PENDING, 1)
    assert attempt.will_retry
    assert attempt.error.startswith("SoftTimeLimitExceeded")
    assert delivery.next_attempt_at > timezone.now()


def test_attempts_that_never_finish_back_off_and_end_with_the_window(
    api_order, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker killed mid-attempt writes nothing after its claim: the claim alone must
    space the tries out and end them."""

    class Killed(BaseException):
        pass

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(callbacks, "pinned_post", killed)
    start = timezone.now()
    with pytest.raises(Killed):
        finish(api_order.order, capture=django_capture_on_commit_callbacks)
    delivery = CallbackDelivery.objects.get()
    claims = 1
    while delivery.status == CallbackStatus.PENDING:
        assert claims < 40
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
            try:
                callback_deliver(delivery_id=delivery.pk)
            except Killed:
                claims += 1
        delivery.refresh_from_db()

    assert delivery.status == CallbackStatus.GAVE_UP
    assert claims == len(retry_schedule())  # the same back-off as attempts that answer
    assert delivery.updated_at - start < timedelta(hours=28)
    assert not CallbackAttempt.objects.exists()


class MoveUndone(Exception):
    pass


def test_the_callback_is_written_in_the_transitions_own_transaction(
    api_order, receiver, django_capture_on_commit_callbacks
):
    """Orders announce the move (`order_transitioned`) and resellers write the callback in
    the same transaction: a move rolled back leaves no callback, one committed has it."""
    from django.db import transaction

    from orders.services.transitions import order_flag_review

    order = api_order.order
    written_inside = []

    @transaction.atomic
    def move_then_fail():
        order_flag_review(order=order, message="checked by hand")
        written_inside.append(CallbackDelivery.objects.filter(order=order).count())
        raise MoveUndone

    with pytest.raises(MoveUndone):
        move_then_fail()

    assert written_inside == [1]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not CallbackDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        order_flag_review(order=order, message="checked by hand")

    delivery = CallbackDelivery.objects.get()
    assert delivery.event_type == "order.needs_review"
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["order.needs_review"]
