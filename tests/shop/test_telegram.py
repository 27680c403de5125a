"""The Telegram Bot API backend against its simulator over real HTTP (live_server): the
payload, the token in the path, errors, 429 `retry_after` and 5xx back-off; codes never go
to a staff chat."""

from datetime import timedelta

import pytest
import requests
from django.db import IntegrityError
from django.utils import timezone

from shop.models import (
    MessageChannel,
    MessageState,
    OutboundMessage,
    StaffAlertKind,
    StaffAlertRoute,
)
from shop.notifications import notify
from tests.shop.messaging_support import inbox, outbox

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = "-1001234567"


def alert(chat: str = CHAT, **kwargs) -> OutboundMessage:
    StaffAlertRoute.objects.get_or_create(kind=StaffAlertKind.OTHER, chat_id=chat)
    notify(title="Provider <X> is low", message="Top it up & check", **kwargs)
    return OutboundMessage.objects.get(channel=MessageChannel.TELEGRAM, recipient=chat)


def test_a_staff_notice_reaches_the_chat(simulators):
    message = alert()

    assert message.state == MessageState.SENT
    (received,) = inbox(MessageChannel.TELEGRAM, CHAT)
    assert received.payload == {
        "chat_id": CHAT,
        "text": "<b>Provider &lt;X&gt; is low</b>\nTop it up &amp; check",
        "parse_mode": "HTML",
    }
    assert message.external_id == str(received.pk)


def test_the_simulator_wants_the_bots_token(simulators, settings):
    reply = requests.post(
        f"{simulators.url}/sim/telegram/bot123:not-the-bot/sendMessage",
        json={"chat_id": CHAT, "text": "x"},
        timeout=5,
    )
    empty = requests.post(
        f"{simulators.url}/sim/telegram/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage",
        json={"chat_id": CHAT},
        timeout=5,
    )

    assert (reply.status_code, reply.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert empty.status_code == 400


@pytest.mark.parametrize(
    ("chat", "error", "wait"),
    [
        ("-1001234596", "HTTP 429: 429 Too Many Requests: retry after 3", 3),
        ("-1001234595", "HTTP 500: 500 Internal Server Error", 0),
    ],
)
def test_rate_limits_and_server_errors_back_off(simulators, chat, error, wait):
    before = timezone.now()

    message = alert(chat)

    assert message.state == MessageState.QUEUED
    assert message.last_error == error
    assert message.next_attempt_at >= before + timedelta(seconds=wait)
    assert message.next_attempt_at > timezone.now()
    assert inbox(MessageChannel.TELEGRAM) == []


def test_a_blocked_bot_fails_for_good(simulators):
    message = alert("-1001234504")

    assert message.state == MessageState.FAILED
    assert message.last_error == "HTTP 403: 403 Forbidden: bot was blocked by the user"


def test_only_the_routed_kinds_reach_a_chat(simulators):
    StaffAlertRoute.objects.create(kind=StaffAlertKind.LOW_BALANCE, chat_id="-100111")
    StaffAlertRoute.objects.create(kind=StaffAlertKind.ORDER_REVIEW, chat_id="-100222")
    StaffAlertRoute.objects.create(
        kind=StaffAlertKind.ORDER_REVIEW, chat_id="-100333", active=False
    )

    notify(title="Low", alert=StaffAlertKind.LOW_BALANCE)

    assert [m.recipient for m in outbox(channel=MessageChannel.TELEGRAM)] == ["-100111"]


def test_codes_never_go_to_a_staff_chat(simulators):
    StaffAlertRoute.objects.create(kind=StaffAlertKind.OTHER, chat_id=CHAT)

    notify(title="Codes", message="Code 1234", confidential=True)

    assert outbox(channel=MessageChannel.TELEGRAM) == []
    with pytest.raises(IntegrityError):
        OutboundMessage.objects.create(
            event_key="k", channel=MessageChannel.TELEGRAM, recipient=CHAT, confidential=True
        )
