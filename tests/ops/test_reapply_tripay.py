"""Re-applying a Tripay callback that failed on our side: the payment reaches the ledger
once, however often staff re-apply and whatever Tripay's own retries did meanwhile."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import OrderStatus
from providers.digiflazz import webhook as digiflazz_webhook
from providers.hubble import webhook as hubble_webhook
from providers.shan import signature as shan_signature
from providers.tripay import webhook as tripay_webhook
from tests.orders.fixtures import PRICE, balance_of
from tests.webhooks.test_tripay import KEY, deliver, payment_body
from wallets.models import DepositMethod, DepositStatus, Transfer
from wallets.selectors import ledger_check, system_account_balance
from wallets.services import deposit_create, deposit_gateway_reference
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tripay_key(settings):
    settings.TRIPAY_PRIVATE_KEY = KEY


def failed_tripay_delivery(body: bytes) -> WebhookDelivery:
    """What the callback view stores when its handler raised after the signature verified
    (the signature header masked, as every stored secret is)."""
    return WebhookDelivery.objects.create(
        source=WebhookSource.TRIPAY,
        raw_body=body,
        headers={
            "Content-Type": "application/json",
            "X-Callback-Signature": "[masked]",
            "X-Callback-Event": "payment_status",
        },
        signature_valid=True,
        outcome=DeliveryOutcome.FAILED,
        http_status=500,
        error="OperationalError: could not serialize access",
    )


def reapply(client, delivery):
    return client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "reapply_selected", "_selected_action": [delivery.pk]},
        follow=True,
    )


def payments(order) -> int:
    return Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count()


def sales_balance() -> Decimal:
    return system_account_balance("sales")


def test_reapplying_a_failed_payment_callback_twice_pays_the_order_once(
    admin_group_client, guest_order
):
    delivery = failed_tripay_delivery(payment_body(guest_order.code))
    sales = sales_balance()

    first = reapply(admin_group_client, delivery).content.decode()
    second = reapply(admin_group_client, delivery).content.decode()

    guest_order.refresh_from_db()
    delivery.refresh_from_db()
    assert f"#{delivery.pk}: now processed." in first
    assert "Only a delivery that failed on our side can be re-applied" in second
    assert guest_order.status == OrderStatus.PAID
    assert guest_order.amount_received == PRICE
    assert guest_order.gateway_reference == "T0001000000001"
    assert payments(guest_order) == 1
    assert sales_balance() == sales + PRICE
    assert (delivery.outcome, delivery.order) == (DeliveryOutcome.PROCESSED, guest_order)
    assert delivery.reference == guest_order.code
    assert "re-applied by ada-admin" in delivery.error
    assert "before: OperationalError" in delivery.error
    assert ledger_check().ok


def test_reapplying_after_tripays_retry_was_processed_changes_nothing(
    client, admin_group_client, guest_order
):
    body = payment_body(guest_order.code)
    failed = failed_tripay_delivery(body)
    assert deliver(client, body).status_code == 200  # Tripay's retry went through
    sales = sales_balance()

    reapply(admin_group_client, failed)

    failed.refresh_from_db()
    guest_order.refresh_from_db()
    assert failed.outcome == DeliveryOutcome.DUPLICATE
    assert guest_order.status == OrderStatus.PAID
    assert payments(guest_order) == 1
    assert sales_balance() == sales
    assert ledger_check().ok


def test_reapplying_a_failed_deposit_callback_credits_the_wallet_once(
    client, admin_group_client, customer
):
    deposit = deposit_create(user=customer, amount=Decimal("50000"), method=DepositMethod.GATEWAY)
    body = payment_body(deposit_gateway_reference(deposit), total=Decimal("50000"))
    first, second = failed_tripay_delivery(body), failed_tripay_delivery(body)

    reapply(admin_group_client, first)
    reapply(admin_group_client, second)  # the same callback failed twice; both re-applied
    deliver(client, body)  # and Tripay retries once more

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CREDITED
    assert balance_of(customer) == Decimal("50000")
    assert Transfer.objects.filter(idempotency_key=f"deposit:{deposit.pk}:credit").count() == 1
    assert ledger_check().ok


def test_a_delivery_whose_signature_never_verified_is_not_reapplied(
    admin_group_client, guest_order
):
    """Re-apply trusts the check made when the body arrived: only a body whose signature
    verified then may be re-applied; one that never verified is refused."""
    delivery = failed_tripay_delivery(payment_body(guest_order.code))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(signature_valid=None)

    page = reapply(admin_group_client, delivery).content.decode()

    guest_order.refresh_from_db()
    assert "signature never verified" in page
    assert guest_order.status == OrderStatus.PENDING_PAYMENT
    assert payments(guest_order) == 0


def test_reapply_neither_signs_nor_verifies_the_stored_body(
    admin_group_client, guest_order, settings, monkeypatch
):
    """The stored body verified when it arrived; re-applying it processes it as stored: a
    private key rotated since changes nothing, and no signature is made or checked."""
    delivery = failed_tripay_delivery(payment_body(guest_order.code))
    settings.TRIPAY_PRIVATE_KEY = "rotated-after-the-delivery"

    def signer_called(*args, **kwargs):
        raise AssertionError("re-apply made or checked a signature")

    for module, name in [
        (tripay_webhook, "sign_callback"),
        (tripay_webhook, "verify_callback"),
        (digiflazz_webhook, "sign_callback"),
        (digiflazz_webhook, "verify_callback"),
        (hubble_webhook, "sign"),
        (hubble_webhook, "verify"),
        (shan_signature, "sign"),
        (shan_signature, "verify"),
    ]:
        monkeypatch.setattr(module, name, signer_called)

    page = reapply(admin_group_client, delivery).content.decode()

    guest_order.refresh_from_db()
    delivery.refresh_from_db()
    assert f"#{delivery.pk}: now processed." in page
    assert (delivery.outcome, delivery.order) == (DeliveryOutcome.PROCESSED, guest_order)
    assert guest_order.status == OrderStatus.PAID
    assert payments(guest_order) == 1
    assert ledger_check().ok
