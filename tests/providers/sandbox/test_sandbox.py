"""The sandbox gateway and its payment page (Django's test client)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from providers.base import (
    InvalidSignature,
    NotConfigured,
    PaymentRequest,
    PaymentStatus,
)
from providers.models import SimulatedOrder
from providers.sandbox.adapter import SandboxGateway
from providers.simulators import simulators_resolve_due
from providers.tripay import webhook
from providers.tripay.adapter import TripayAdapter

pytestmark = pytest.mark.django_db

RETURN_URL = "http://shop.test/orders/TRX-20260301-ABCD12"
CALLBACK_URL = "http://shop.test/webhooks/tripay"
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def payment_request(**overrides) -> PaymentRequest:
    values = {
        "merchant_ref": "TRX-20260301-ABCD12",
        "amount": Decimal("25000.00"),
        "method": "SANDBOX",
        "customer_name": "Siti",
        "customer_email": "siti@example.com",
        "return_url": RETURN_URL,
        "callback_url": CALLBACK_URL,
        "expires_at": EXPIRES,
    }
    return PaymentRequest(**{**values, **overrides})


def page_path(checkout_url: str) -> str:
    return urlsplit(checkout_url).path


def test_not_configured_without_simulators(settings):
    settings.SIMULATORS_ENABLED = False

    with pytest.raises(NotConfigured, match="SIMULATORS_ENABLED"):
        SandboxGateway.from_settings()


def test_one_sandbox_channel(sandbox):
    assert [channel.code for channel in sandbox.payment_channels()] == ["SANDBOX"]


def test_create_stores_the_payment_and_points_at_its_page(sandbox):
    instructions = sandbox.create_payment(payment_request())

    assert instructions.checkout_url == f"http://shop.test/sim/sandbox/pay/{instructions.reference}"
    assert instructions.status == "UNPAID"
    assert instructions.expires_at == EXPIRES
    stored = SimulatedOrder.objects.get(provider="sandbox")
    assert stored.reference == "TRX-20260301-ABCD12"
    assert stored.external_id == instructions.reference
    assert stored.callback_url == CALLBACK_URL
    assert stored.status == PaymentStatus.UNPAID


def test_page_shows_amount_and_order(sandbox, browser):
    instructions = sandbox.create_payment(payment_request())

    page = browser.get(page_path(instructions.checkout_url))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Rp 25.000" in html
    assert "TRX-20260301-ABCD12" in html
    assert 'value="pay"' in html
    assert 'value="fail"' in html


def test_pay_sends_a_tripay_signed_callback_then_returns_to_the_shop(
    sandbox, browser, callbacks, settings
):
    instructions = sandbox.create_payment(payment_request())

    reply = browser.post(page_path(instructions.checkout_url), {"action": "pay"})

    assert reply.status_code == 302
    assert reply["Location"] == RETURN_URL
    sent = callbacks.only
    assert sent.url == CALLBACK_URL
    assert sent.headers["X-Callback-Event"] == "payment_status"
    assert webhook.verify_callback(
        settings.TRIPAY_PRIVATE_KEY, sent.body, sent.headers["X-Callback-Signature"]
    )
    # The shop's Tripay callback view can take it: the Tripay adapter parses it as well.
    for gateway in (sandbox, TripayAdapter.from_settings()):
        callback = gateway.parse_callback(body=sent.body, headers=sent.headers)
        assert callback.status is PaymentStatus.PAID
        assert callback.merchant_ref == "TRX-20260301-ABCD12"
        assert callback.reference == instructions.reference
        assert callback.total_amount == Decimal("25000")
        assert callback.amount_received == Decimal("25000")
        assert callback.payment_method == "SANDBOX"
        assert abs(callback.paid_at - timezone.now()) < timedelta(minutes=1)
    assert SimulatedOrder.objects.get(provider="sandbox").status == PaymentStatus.PAID


def test_fail_sends_a_failed_callback(sandbox, browser, callbacks):
    instructions = sandbox.create_payment(payment_request())

    reply = browser.post(page_path(instructions.checkout_url), {"action": "fail"})

    assert reply.status_code == 302
    sent = callbacks.only
    callback = sandbox.parse_callback(body=sent.body, headers=sent.headers)
    assert callback.status is PaymentStatus.FAILED
    assert callback.paid_at is None


def test_second_press_changes_nothing(sandbox, browser, callbacks):
    instructions = sandbox.create_payment(payment_request())
    path = page_path(instructions.checkout_url)
    browser.post(path, {"action": "pay"})

    again = browser.post(path, {"action": "fail"})

    assert again.status_code == 409
    assert len(callbacks.sent) == 1
    assert SimulatedOrder.objects.get(provider="sandbox").status == PaymentStatus.PAID
    assert 'value="pay"' not in browser.get(path).content.decode()  # no buttons once paid


def test_unknown_action_and_reference(sandbox, browser, callbacks):
    instructions = sandbox.create_payment(payment_request())

    assert (
        browser.post(page_path(instructions.checkout_url), {"action": "steal"}).status_code == 400
    )
    assert browser.get("/sim/sandbox/pay/SBXNOPE").status_code == 404
    assert callbacks.sent == []


def test_callback_signed_with_another_key_is_refused(sandbox, browser, callbacks):
    instructions = sandbox.create_payment(payment_request())
    browser.post(page_path(instructions.checkout_url), {"action": "pay"})
    sent = callbacks.only
    other = SandboxGateway(private_key="another-key", site_url="http://shop.test")

    with pytest.raises(InvalidSignature):
        other.parse_callback(body=sent.body, headers=sent.headers)


def test_unpaid_payment_expires_with_a_callback(sandbox, callbacks):
    sandbox.create_payment(payment_request())
    SimulatedOrder.objects.filter(provider="sandbox").update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )

    simulators_resolve_due()

    sent = callbacks.only
    assert sandbox.parse_callback(body=sent.body, headers=sent.headers).status == "EXPIRED"


def test_without_return_url_the_page_shows_the_result(sandbox, browser, callbacks):
    instructions = sandbox.create_payment(payment_request(return_url=""))
    path = page_path(instructions.checkout_url)

    reply = browser.post(path, {"action": "pay"})

    assert reply.status_code == 302
    assert reply["Location"] == path
    assert "PAID" in browser.get(path).content.decode()
