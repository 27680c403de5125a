"""The WhatsApp Cloud API backend against its simulator over real HTTP (live_server):
the payload, the Bearer token, errors, 429/5xx back-off; the delivery-status webhooks
(signature checked before anything changes) and Meta's subscription check."""

import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from shop.messaging.templates import WhatsAppTemplate, template_render
from shop.messaging.whatsapp import template_payload
from shop.messaging.whatsapp_simulator import whatsapp_simulator_send_statuses
from shop.messaging.whatsapp_webhook import whatsapp_signature
from shop.models import MessageChannel, MessageState, OutboundMessage
from shop.notifications import notify
from tests.shop.messaging_support import outbox, whatsapp_inbox

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+6281234567800"
PARAMS = ["TRX-1", "Mobile Legends 86 Diamonds", "Rp 20.000", "https://shop.example/o/TRX-1"]


def send_paid(number: str = NUMBER, language: str = "id") -> OutboundMessage:
    notify(
        phone=number,
        title="Paid",
        whatsapp=WhatsAppTemplate(name="order_paid", language=language, params=PARAMS),
        event_key=f"test:{number}",
    )
    return OutboundMessage.objects.get(channel=MessageChannel.WHATSAPP, recipient=number)


def test_a_template_message_reaches_the_simulator(simulators):
    message = send_paid()

    assert message.state == MessageState.SENT
    assert message.external_id.startswith("wamid.")
    (received,) = whatsapp_inbox(NUMBER)
    assert received.external_id == message.external_id
    assert received.payload == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567800",
        "type": "template",
        "template": {
            "name": "order_paid",
            "language": {"code": "id"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in PARAMS]}
            ],
        },
    }
    assert "Rp 20.000" in received.text
    assert "TRX-1" in received.text


def test_the_simulator_wants_the_bearer_token(simulators, settings):
    settings.WHATSAPP_ACCESS_TOKEN = "wrong"  # the shop sends this one; the simulator knows it
    url = f"{simulators.url}/sim/whatsapp/v21.0/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
    message = OutboundMessage(
        channel=MessageChannel.WHATSAPP,
        recipient=NUMBER,
        template="order_paid",
        language="en",
        params=PARAMS,
    )

    reply = requests.post(
        url, json=template_payload(message), headers={"Authorization": "Bearer other"}, timeout=5
    )

    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == 190


def test_a_wrong_template_is_refused_for_good(simulators):
    notify(
        phone=NUMBER,
        title="Paid",
        whatsapp=WhatsAppTemplate(name="order_paid", language="en", params=PARAMS[:2]),
        event_key="test:short",
    )

    (message,) = outbox(channel=MessageChannel.WHATSAPP)
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("HTTP 400: 132000")
    assert whatsapp_inbox() == []


@pytest.mark.parametrize(
    ("number", "error"),
    [("+6281234567896", "HTTP 429: 130429 Rate limit hit"), ("+6281234567895", "HTTP 500: 1")],
)
def test_rate_limits_and_server_errors_back_off(simulators, number, error):
    before = timezone.now()

    message = send_paid(number)

    assert message.state == MessageState.QUEUED
    assert message.last_error.startswith(error)
    assert message.attempts == 1
    if "429" in error:  # Retry-After: 2 from the simulator
        assert message.next_attempt_at >= before + timedelta(seconds=2)
    assert message.next_attempt_at > timezone.now()
    assert whatsapp_inbox(number) == []


def test_delivery_statuses_come_back_signed_and_move_the_message(simulators):
    message = send_paid()

    assert whatsapp_simulator_send_statuses() == 3

    message.refresh_from_db()
    assert message.state == MessageState.READ
    assert message.delivered_at is not None
    assert whatsapp_simulator_send_statuses() == 0  # posted once


def test_a_failed_delivery_shows_in_the_outbox(simulators):
    message = send_paid("+6281234567893")

    whatsapp_simulator_send_statuses()

    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error == "WhatsApp: 131026 Message undeliverable"


def status_body(wamid: str, status: str) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"statuses": [{"id": wamid, "status": status}]},
                        }
                    ],
                }
            ],
        }
    ).encode()


def test_a_bad_signature_is_refused_and_changes_nothing(client, settings):
    message = OutboundMessage.objects.create(
        event_key="k",
        channel=MessageChannel.WHATSAPP,
        recipient=NUMBER,
        state=MessageState.SENT,
        external_id="wamid.X",
    )
    body = status_body("wamid.X", "read")

    for signature in ("", "sha256=" + "0" * 64, whatsapp_signature(body, "another secret")):
        reply = client.post(
            "/api/webhooks/whatsapp",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signature,
        )
        assert reply.status_code == 403

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    reply = client.post(
        "/api/webhooks/whatsapp",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=whatsapp_signature(body, settings.WHATSAPP_APP_SECRET),
    )
    assert reply.status_code == 200
    message.refresh_from_db()
    assert message.state == MessageState.READ


def test_a_late_status_never_moves_a_message_back(client, settings):
    message = OutboundMessage.objects.create(
        event_key="k",
        channel=MessageChannel.WHATSAPP,
        recipient=NUMBER,
        state=MessageState.READ,
        external_id="wamid.Y",
    )
    body = status_body("wamid.Y", "delivered")

    client.post(
        "/api/webhooks/whatsapp",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=whatsapp_signature(body, settings.WHATSAPP_APP_SECRET),
    )

    message.refresh_from_db()
    assert message.state == MessageState.READ


def test_the_subscription_check_answers_the_challenge_only_to_the_token(client, settings):
    ok = client.get(
        "/api/webhooks/whatsapp",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": settings.WHATSAPP_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    wrong = client.get(
        "/api/webhooks/whatsapp",
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )

    assert (ok.status_code, ok.content) == (200, b"1158201444")
    assert wrong.status_code == 403


def test_templates_render_in_both_languages():
    english = template_render("order_paid", "en", PARAMS)
    indonesian = template_render("order_paid", "id", PARAMS)

    assert english.startswith("We received your payment of Rp 20.000")
    assert indonesian.startswith("Kami telah menerima pembayaran Anda sebesar Rp 20.000")
    assert "{{" not in indonesian


def test_a_parameter_holds_no_line_break():
    template = WhatsAppTemplate(name="order_paid", language="en", params=["a\nb", "c"])

    assert template.params == ["a · b", "c"]
