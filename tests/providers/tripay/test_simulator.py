"""TripayAdapter against the Tripay simulator over real HTTP (pytest-django's live_server)."""

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
import segno
from django.conf import settings as django_settings
from django.utils import timezone

from providers.base import (
    FinalProviderError,
    PaymentItem,
    PaymentRequest,
    PaymentStatus,
    TransientProviderError,
)
from providers.models import ProviderCall, SimulatedOrder
from providers.simulators import simulators_resolve_due
from providers.tripay import webhook
from providers.tripay.adapter import TripayAdapter
from providers.tripay.simulator import simulate_tripay_payment

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
RETURN_URL = "https://shop.example/orders/TRX-1"
CALLBACK_URL = "https://shop.example/webhooks/tripay"


@pytest.fixture
def sim_url(live_server, settings):
    settings.TRIPAY_BASE_URL = f"{live_server.url}/sim/tripay/api"
    return live_server.url


@pytest.fixture
def tripay(sim_url):
    return TripayAdapter.from_settings()


def payment_request(**overrides) -> PaymentRequest:
    values = {
        "merchant_ref": "TRX-20260301-7KQ2M9",
        "amount": Decimal("50000.00"),
        "method": "BRIVA",
        "customer_name": "Budi",
        "customer_email": "budi@example.com",
        "customer_phone": "081234567800",
        "items": [PaymentItem(sku="ML86", name="86 Diamonds", price=Decimal("50000"))],
        "return_url": RETURN_URL,
        "callback_url": CALLBACK_URL,
        "expires_at": EXPIRES,
    }
    return PaymentRequest(**{**values, **overrides})


def press(url: str, action: str) -> requests.Response:
    # requests.request, not requests.post: the latter is the simulator's, captured by the test
    return requests.request("POST", url, data={"action": action}, allow_redirects=False, timeout=10)


def parsed(tripay: TripayAdapter, sent):
    return tripay.parse_callback(body=sent.body, headers=sent.headers)


def test_channel_list(tripay):
    channels = tripay.payment_channels()

    assert [channel.code for channel in channels] == [
        "QRIS",
        "BRIVA",
        "BNIVA",
        "MANDIRIVA",
        "OVO",
        "ALFAMART",
    ]
    briva = channels[1]
    assert (briva.group, briva.fee_flat, briva.active) == ("Virtual Account", Decimal("4250"), True)
    assert channels[0].fee_percent == Decimal("0.70")
    assert ProviderCall.objects.get().http_status == 200


def test_create_va_payment(tripay, sim_url, callbacks):
    instructions = tripay.create_payment(payment_request())

    assert instructions.reference.startswith("T0001")
    assert instructions.checkout_url == f"{sim_url}/sim/tripay/checkout/{instructions.reference}"
    assert instructions.pay_code.isdigit()
    assert instructions.qr_string == ""
    assert instructions.status == "UNPAID"
    assert instructions.expires_at == EXPIRES
    assert instructions.pay_code in json.dumps(instructions.instructions)
    assert instructions.raw["amount_received"] == 50000 - 4250
    stored = SimulatedOrder.objects.get(provider="tripay")
    assert stored.reference == "TRX-20260301-7KQ2M9"
    assert stored.external_id == instructions.reference
    assert stored.status == PaymentStatus.UNPAID
    assert stored.callback_url == CALLBACK_URL
    assert stored.request["callback_url"] == CALLBACK_URL
    assert "signature" not in stored.request
    assert callbacks.sent == []  # nothing is sent before the buyer pays


def test_create_is_logged_with_the_request_id_the_simulator_saw(tripay):
    tripay.create_payment(payment_request())

    call = ProviderCall.objects.get(endpoint="transaction/create")
    stored = SimulatedOrder.objects.get(provider="tripay")
    assert call.request_id == stored.state["request_id"]
    assert call.reference == "TRX-20260301-7KQ2M9"
    real_signature = webhook.create_signature(
        private_key=django_settings.TRIPAY_PRIVATE_KEY,
        merchant_code=django_settings.TRIPAY_MERCHANT_CODE,
        merchant_ref="TRX-20260301-7KQ2M9",
        amount=50000,
    )
    assert json.loads(call.request_body)["signature"] == "[redacted]"
    logged = call.request_body + call.response_body
    for secret in (
        real_signature,
        django_settings.TRIPAY_PRIVATE_KEY,
        django_settings.TRIPAY_API_KEY,
    ):
        assert secret not in logged


def test_create_qris_payment(tripay):
    instructions = tripay.create_payment(payment_request(method="QRIS"))

    assert instructions.pay_code == ""
    assert instructions.qr_string.startswith("000201")
    image = requests.get(instructions.qr_url, timeout=5)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    # the QR code of this transaction's qr_string, as Tripay serves it at qr_url
    expected = io.BytesIO()
    segno.make_qr(instructions.qr_string, error="m").save(
        expected, kind="svg", scale=5, border=4, light="#fff"
    )
    assert image.content == expected.getvalue()


def test_the_qr_image_of_an_unknown_or_non_qr_transaction_is_404(tripay, sim_url):
    va = tripay.create_payment(payment_request(method="BRIVA"))

    for reference in ("T0001999", va.reference):
        assert requests.get(f"{sim_url}/sim/tripay/qr/{reference}", timeout=5).status_code == 404


def test_checkout_page_pay_sends_a_signed_paid_callback(tripay, callbacks):
    instructions = tripay.create_payment(payment_request())

    page = requests.get(instructions.checkout_url, timeout=5)
    assert page.status_code == 200
    assert "Rp 50.000" in page.text
    assert "TRX-20260301-7KQ2M9" in page.text
    assert instructions.pay_code in page.text

    reply = press(instructions.checkout_url, "pay")

    assert reply.status_code == 302
    assert reply.headers["Location"] == RETURN_URL
    sent = callbacks.only
    assert sent.url == CALLBACK_URL
    assert sent.timeout == 5
    assert sent.headers["X-Callback-Event"] == "payment_status"
    assert webhook.verify_callback(
        django_settings.TRIPAY_PRIVATE_KEY, sent.body, sent.headers["X-Callback-Signature"]
    )
    callback = parsed(tripay, sent)
    assert callback.status is PaymentStatus.PAID
    assert callback.reference == instructions.reference
    assert callback.merchant_ref == "TRX-20260301-7KQ2M9"
    assert callback.total_amount == Decimal("50000")
    assert callback.amount_received == Decimal("45750")  # amount - BRIVA's 4,250 fee
    assert callback.payment_method == "BRIVA"
    assert abs(callback.paid_at - timezone.now()) < timedelta(minutes=1)
    assert callback.raw["is_closed_payment"] == 1
    stored = SimulatedOrder.objects.get(provider="tripay")
    assert stored.status == PaymentStatus.PAID
    assert stored.callback_sent_at is not None
    assert stored.resolve_at is None  # no EXPIRED callback later


def test_paying_twice_sends_one_callback(tripay, callbacks):
    instructions = tripay.create_payment(payment_request())
    press(instructions.checkout_url, "pay")

    again = press(instructions.checkout_url, "pay")

    assert again.status_code == 409
    assert "PAID" in again.text
    assert len(callbacks.sent) == 1


@pytest.mark.parametrize(("action", "status"), [("fail", "FAILED"), ("expire", "EXPIRED")])
def test_checkout_fail_and_expire_send_their_callbacks(tripay, callbacks, action, status):
    instructions = tripay.create_payment(payment_request())

    reply = press(instructions.checkout_url, action)

    assert reply.status_code == 302
    callback = parsed(tripay, callbacks.only)
    assert callback.status == status
    assert callback.paid_at is None
    assert SimulatedOrder.objects.get(provider="tripay").status == status


def test_checkout_page_of_unknown_reference_is_404(sim_url):
    assert requests.get(f"{sim_url}/sim/tripay/checkout/T0001999", timeout=5).status_code == 404


def test_callback_reaches_a_real_url(tripay, sim_url):
    """No capture: the simulator really POSTs, here to a live-server URL that does not exist."""
    instructions = tripay.create_payment(
        payment_request(callback_url=f"{sim_url}/no-such-callback/")
    )

    press(instructions.checkout_url, "pay")

    stored = SimulatedOrder.objects.get(provider="tripay")
    assert stored.callback_sent_at is not None
    assert stored.state["callback_reply_status"] == 404


def test_simulate_tripay_payment_by_merchant_ref_or_reference(tripay, callbacks):
    instructions = tripay.create_payment(payment_request())

    simulate_tripay_payment("TRX-20260301-7KQ2M9", "PAID")
    simulate_tripay_payment(instructions.reference, "REFUND")

    assert [parsed(tripay, sent).status for sent in callbacks.sent] == ["PAID", "REFUND"]


def test_unpaid_payment_expires_with_a_callback(tripay, callbacks):
    tripay.create_payment(payment_request())
    assert simulators_resolve_due() == 0
    SimulatedOrder.objects.filter(provider="tripay").update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )

    assert simulators_resolve_due() == 1

    assert parsed(tripay, callbacks.only).status is PaymentStatus.EXPIRED
    assert SimulatedOrder.objects.get(provider="tripay").status == "EXPIRED"


@pytest.mark.parametrize(
    ("phone", "status"), [("081234567891", "PAID"), ("081234567892", "FAILED")]
)
def test_pending_scenarios_settle_on_their_own(tripay, callbacks, phone, status):
    tripay.create_payment(payment_request(customer_phone=phone))
    stored = SimulatedOrder.objects.get(provider="tripay")
    assert stored.resolve_at <= timezone.now() + timedelta(seconds=2)
    SimulatedOrder.objects.filter(pk=stored.pk).update(resolve_at=timezone.now())

    simulators_resolve_due()

    callback = parsed(tripay, callbacks.only)
    assert callback.status == status
    assert (callback.paid_at is not None) == (status == "PAID")


def test_wrong_api_key_is_refused(sim_url):
    # built by hand: the simulator reads the same settings as from_settings
    wrong = TripayAdapter(
        base_url=f"{sim_url}/sim/tripay/api",
        api_key="not-the-key",
        private_key=django_settings.TRIPAY_PRIVATE_KEY,
        merchant_code=django_settings.TRIPAY_MERCHANT_CODE,
    )

    with pytest.raises(FinalProviderError, match="Invalid API Key"):
        wrong.create_payment(payment_request())
    with pytest.raises(FinalProviderError, match="Invalid API Key"):
        wrong.payment_channels()

    assert not SimulatedOrder.objects.exists()


def test_wrong_private_key_is_an_invalid_signature(sim_url):
    adapter = TripayAdapter(
        base_url=f"{sim_url}/sim/tripay/api",
        api_key=django_settings.TRIPAY_API_KEY,
        private_key="not-the-private-key",
        merchant_code=django_settings.TRIPAY_MERCHANT_CODE,
    )

    with pytest.raises(FinalProviderError) as error:
        adapter.create_payment(payment_request())

    assert error.value.message == "Invalid signature"
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"method": "BITCOIN"}, "Payment channel is not available"),
        ({"amount": Decimal("60000")}, "does not match"),
        ({"amount": Decimal("5000"), "items": []}, "between 10000"),
    ],
)
def test_validation_refusals_are_final(tripay, overrides, message):
    with pytest.raises(FinalProviderError, match=message):
        tripay.create_payment(payment_request(**overrides))
    assert not SimulatedOrder.objects.exists()


def test_form_encoded_create_is_accepted_like_the_php_example(sim_url):
    signature = webhook.create_signature(
        private_key=django_settings.TRIPAY_PRIVATE_KEY,
        merchant_code=django_settings.TRIPAY_MERCHANT_CODE,
        merchant_ref="INV1",
        amount=20000,
    )
    form = {
        "method": "BNIVA",
        "merchant_ref": "INV1",
        "amount": "20000",
        "customer_name": "A",
        "customer_email": "a@example.com",
        "order_items[0][sku]": "X",
        "order_items[0][name]": "X",
        "order_items[0][price]": "10000",
        "order_items[0][quantity]": "2",
        "signature": signature,
    }
    reply = requests.request(
        "POST",
        f"{sim_url}/sim/tripay/api/transaction/create",
        data=form,
        headers={"Authorization": f"Bearer {django_settings.TRIPAY_API_KEY}"},
        timeout=5,
    )
    assert reply.status_code == 200
    assert reply.json()["data"]["merchant_ref"] == "INV1"


def test_refusal_scenario_is_final(tripay):
    with pytest.raises(FinalProviderError):
        tripay.create_payment(payment_request(customer_phone="081234567893"))
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize("phone", ["081234567895", "081234567896"])
def test_5xx_and_429_are_transient_and_sent_once(tripay, phone):
    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request(customer_phone=phone))

    assert ProviderCall.objects.filter(endpoint="transaction/create").count() == 1
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize("phone", ["081234567897", "081234567898", "081234567894"])
def test_malformed_reset_and_slow_are_transient_but_the_payment_exists(tripay, phone):
    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request(customer_phone=phone))

    assert SimulatedOrder.objects.filter(provider="tripay").count() == 1
    assert ProviderCall.objects.filter(endpoint="transaction/create").count() == 1
