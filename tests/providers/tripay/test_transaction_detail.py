"""`payment_status`: Tripay's `GET transaction/detail?reference=...` against its documented
replies (`responses`), and against the Tripay simulator over real HTTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
import responses
from django.conf import settings as django_settings
from django.utils import timezone
from responses import matchers

from providers.base import FinalProviderError, PaymentStatus, TransientProviderError
from providers.models import ProviderCall, SimulatedOrder
from providers.tripay.adapter import TripayAdapter
from providers.tripay.simulator import simulate_tripay_payment
from tests.providers.tripay.test_adapter import API_KEY, BASE, CREATE_REPLY
from tests.providers.tripay.test_simulator import payment_request

DETAIL_URL = f"{BASE}/transaction/detail"
REFERENCE = "T0001000000000000006"
# Tripay's documented detail reply (paid; paid_at comes as a digit string there).
DETAIL_REPLY = {
    "success": True,
    "message": "",
    "data": {
        **CREATE_REPLY["data"],
        "merchant_ref": "INV345675",
        "amount": 1000000,
        "fee_merchant": 1500,
        "fee_customer": 0,
        "total_fee": 1500,
        "amount_received": 998500,
        "status": "PAID",
        "paid_at": "1582856000",
        "expired_time": 1582855837,
    },
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def tripay(settings):
    settings.TRIPAY_API_KEY = API_KEY
    settings.TRIPAY_BASE_URL = BASE
    return TripayAdapter.from_settings()


def detail(status: str = "PAID", **data) -> dict:
    return {**DETAIL_REPLY, "data": {**DETAIL_REPLY["data"], "status": status, **data}}


@responses.activate
def test_the_documented_request_and_reply(tripay):
    responses.get(
        DETAIL_URL,
        json=DETAIL_REPLY,
        match=[
            matchers.query_param_matcher({"reference": REFERENCE}),
            matchers.header_matcher({"Authorization": f"Bearer {API_KEY}"}),
        ],
    )

    report = tripay.payment_status(reference=REFERENCE)

    assert (report.reference, report.merchant_ref, report.status) == (
        REFERENCE,
        "INV345675",
        PaymentStatus.PAID,
    )
    assert (report.total_amount, report.amount_received) == (Decimal("1000000"), Decimal("998500"))
    assert report.paid_at == datetime.fromtimestamp(1582856000, tz=UTC)
    assert report.expires_at == datetime.fromtimestamp(1582855837, tz=UTC)
    call = ProviderCall.objects.get()
    assert (call.endpoint, call.reference, call.http_status) == (
        "transaction/detail",
        REFERENCE,
        200,
    )


@responses.activate
@pytest.mark.parametrize("status", ["UNPAID", "EXPIRED", "FAILED", "REFUND"])
def test_every_status_is_understood(tripay, status):
    responses.get(DETAIL_URL, json=detail(status, paid_at=None))

    assert tripay.payment_status(reference=REFERENCE).status == status


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"status": 503, "json": {"success": False, "message": "Service Unavailable"}},
        {"json": detail("SETTLED")},
        {"json": detail(reference="T0001000000000000999")},
        {"body": "<html>maintenance</html>"},
    ],
    ids=["timeout", "503", "unknown-status", "another-transaction", "not-json"],
)
def test_no_usable_answer_is_transient(tripay, reply, monkeypatch):
    monkeypatch.setattr(tripay.client.http, "sleep", lambda seconds: None)
    responses.get(DETAIL_URL, **reply)

    with pytest.raises(TransientProviderError):
        tripay.payment_status(reference=REFERENCE)


@responses.activate
def test_a_refusal_is_final(tripay):
    responses.get(DETAIL_URL, status=404, json={"success": False, "message": "Not found"})

    with pytest.raises(FinalProviderError, match="Not found"):
        tripay.payment_status(reference=REFERENCE)


# --- the simulator ------------------------------------------------------------------------------
@pytest.fixture
def sim(live_server, settings):
    settings.TRIPAY_BASE_URL = f"{live_server.url}/sim/tripay/api"
    return TripayAdapter.from_settings()


def test_the_simulator_answers_unpaid_then_paid_without_a_callback(sim, callbacks):
    created = sim.create_payment(payment_request(expires_at=timezone.now() + timedelta(hours=1)))

    unpaid = sim.payment_status(reference=created.reference)
    simulate_tripay_payment(created.reference, callback_lost=True)
    paid = sim.payment_status(reference=created.reference)

    assert (unpaid.status, unpaid.paid_at, unpaid.expires_at) == (
        PaymentStatus.UNPAID,
        None,
        created.expires_at,
    )
    assert (paid.status, paid.merchant_ref, paid.total_amount) == (
        PaymentStatus.PAID,
        "TRX-20260301-7KQ2M9",
        Decimal("50000"),
    )
    assert paid.amount_received == Decimal("50000") - 4250  # BRIVA's fee
    assert paid.paid_at is not None
    assert callbacks.sent == []  # the callback was lost


def test_phone_ending_90_pays_on_its_own_with_the_callback_lost(sim, callbacks):
    created = sim.create_payment(payment_request(customer_phone="081234567890"))
    SimulatedOrder.objects.filter(provider="tripay").update(resolve_at=timezone.now())

    assert sim.payment_status(reference=created.reference).status == PaymentStatus.PAID
    assert callbacks.sent == []


def test_the_simulator_expires_an_unpaid_transaction_at_its_time(sim, callbacks):
    created = sim.create_payment(payment_request(expires_at=timezone.now() + timedelta(hours=1)))
    SimulatedOrder.objects.filter(provider="tripay").update(resolve_at=timezone.now())

    assert sim.payment_status(reference=created.reference).status == PaymentStatus.EXPIRED
    assert len(callbacks.sent) == 1  # Tripay's EXPIRED callback went out too


def test_the_simulator_refuses_a_wrong_key_and_an_unknown_reference(sim, live_server):
    wrong = TripayAdapter(
        base_url=f"{live_server.url}/sim/tripay/api",
        api_key="not-the-key",
        private_key=django_settings.TRIPAY_PRIVATE_KEY,
        merchant_code=django_settings.TRIPAY_MERCHANT_CODE,
    )

    with pytest.raises(FinalProviderError, match="Invalid API Key"):
        wrong.payment_status(reference="T0001000000000000006")
    with pytest.raises(FinalProviderError, match="Transaction not found"):
        sim.payment_status(reference="T0001000000000000006")
