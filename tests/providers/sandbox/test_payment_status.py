"""The sandbox gateway answers the payment-status question from its simulator's state, as
Tripay's `transaction/detail` does, so the shop's checks work the same in `make run`."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from providers.base import FinalProviderError, PaymentStatus
from providers.models import SimulatedOrder
from tests.providers.sandbox.test_sandbox import page_path, payment_request

pytestmark = pytest.mark.django_db


def test_unpaid_then_paid_with_the_callback_lost(sandbox, browser, callbacks):
    expires_at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    created = sandbox.create_payment(payment_request(expires_at=expires_at))

    unpaid = sandbox.payment_status(reference=created.reference)
    page = browser.post(page_path(created.checkout_url), {"action": "pay_callback_lost"})
    paid = sandbox.payment_status(reference=created.reference)

    assert (unpaid.status, unpaid.expires_at, unpaid.paid_at) == (
        PaymentStatus.UNPAID,
        expires_at,
        None,
    )
    assert page.status_code == 302
    assert (paid.status, paid.merchant_ref, paid.reference) == (
        PaymentStatus.PAID,
        "TRX-20260301-ABCD12",
        created.reference,
    )
    assert (paid.total_amount, paid.amount_received) == (Decimal("25000"), Decimal("25000"))
    assert paid.paid_at is not None
    assert callbacks.sent == []


def test_an_unpaid_payment_past_its_time_answers_expired(sandbox, callbacks):
    created = sandbox.create_payment(payment_request())
    SimulatedOrder.objects.filter(provider="sandbox").update(resolve_at=timezone.now())

    assert sandbox.payment_status(reference=created.reference).status == PaymentStatus.EXPIRED


def test_an_unknown_reference_is_refused(sandbox):
    with pytest.raises(FinalProviderError, match="No sandbox payment SBXNOPE"):
        sandbox.payment_status(reference="SBXNOPE")
