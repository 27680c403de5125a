"""Gateway reports for deposits the shop cannot settle by itself: a payment of another
amount, a payment after the deposit was rejected, a refund after it was credited. None of
them may lose the customer's money, move a deposit backwards, or pass unseen by staff;
staff then decide the deposit in the admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import OrderEvent, OrderStatus
from shop.models import Notification
from tests.ops.conftest import staff_client
from tests.orders.fixtures import balance_of
from tests.webhooks.test_tripay import deliver, payment_body
from wallets.models import Deposit, DepositMethod, DepositStatus, Transfer
from wallets.services import deposit_create, deposit_gateway_reference, deposit_reject

pytestmark = pytest.mark.django_db
AMOUNT = Decimal("50000")


@pytest.fixture(autouse=True)
def tripay_key(settings):
    settings.TRIPAY_PRIVATE_KEY = "tripay-test-private-key"


@pytest.fixture
def deposit(customer) -> Deposit:
    return deposit_create(user=customer, amount=AMOUNT, method=DepositMethod.GATEWAY)


def report(client, deposit, **kwargs):
    reply = deliver(client, payment_body(deposit_gateway_reference(deposit), **kwargs))
    deposit.refresh_from_db()
    return reply


def staff_told(deposit) -> list[str]:
    return list(
        Notification.objects.filter(user=None, data__deposit=deposit.pk).values_list(
            "title", flat=True
        )
    )


def approve(deposit):
    return staff_client("fin-finance", "finance").post(
        reverse("admin:wallets_deposit_changelist"),
        {"action": "approve_selected", "_selected_action": [deposit.pk]},
        follow=True,
    )


def test_a_payment_after_the_deposit_was_rejected_is_kept_for_staff_who_credit_it(
    client, deposit, customer
):
    deposit_reject(deposit=deposit, note="create_payment timed out")

    reply = report(client, deposit, total=AMOUNT)

    assert reply.status_code == 200  # acknowledged: Tripay stops, nothing is lost
    assert deposit.status == DepositStatus.PAID
    assert "after it was rejected" in deposit.note
    assert staff_told(deposit) == [f"Deposit #{deposit.pk} is paid but not credited"]
    assert balance_of(customer) == 0

    approve(deposit)

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CREDITED
    assert balance_of(customer) == AMOUNT


def test_a_repeat_of_the_report_never_credits_behind_staffs_back(client, deposit, customer):
    deposit_reject(deposit=deposit, note="create_payment timed out")
    report(client, deposit, total=AMOUNT)  # paid after the rejection: waits for staff

    report(client, deposit, total=AMOUNT)  # Tripay sends it again

    assert deposit.status == DepositStatus.PAID
    assert balance_of(customer) == 0
    assert len(staff_told(deposit)) == 1


def test_a_deposit_staff_rejected_stays_rejected_when_the_report_comes_again(
    client, deposit, customer
):
    deposit_reject(deposit=deposit, note="create_payment timed out")
    report(client, deposit, total=AMOUNT)
    staff_client("fin-finance", "finance").post(
        reverse("admin:wallets_deposit_changelist"),
        {"action": "reject_selected", "_selected_action": [deposit.pk]},
    )

    report(client, deposit, total=AMOUNT)

    assert deposit.status == DepositStatus.REJECTED
    assert len(staff_told(deposit)) == 1
    assert balance_of(customer) == 0


def test_a_payment_of_another_amount_waits_for_staff_and_a_repeat_changes_nothing(
    client, deposit, customer
):
    report(client, deposit, total=Decimal("49000"))
    report(client, deposit, total=Decimal("49000"))

    assert deposit.status == DepositStatus.PAID
    assert "49000" in deposit.note
    assert len(staff_told(deposit)) == 1
    assert balance_of(customer) == 0


def test_a_credited_deposit_never_moves_back(client, deposit, customer):
    report(client, deposit, total=AMOUNT)
    assert deposit.status == DepositStatus.CREDITED

    report(client, deposit, total=Decimal("1"))  # a later, different report

    assert deposit.status == DepositStatus.CREDITED
    approve(deposit)  # refused: the gateway decided it
    assert balance_of(customer) == AMOUNT
    assert Transfer.objects.filter(idempotency_key=f"deposit:{deposit.pk}:credit").count() == 1


def test_a_refund_at_the_gateway_of_a_credited_deposit_tells_staff(client, deposit, customer):
    report(client, deposit, total=AMOUNT)

    report(client, deposit, status="REFUND", total=AMOUNT)
    report(client, deposit, status="REFUND", total=AMOUNT)

    assert deposit.status == DepositStatus.CREDITED
    assert "Refunded at the gateway" in deposit.note
    assert staff_told(deposit) == [
        f"Deposit #{deposit.pk} was refunded at the gateway after it was credited"
    ]


def test_a_refund_at_the_gateway_is_told_once_whatever_the_note_says(client, deposit):
    report(client, deposit, total=AMOUNT)
    report(client, deposit, status="REFUND", total=AMOUNT)
    refunded_at = deposit.refunded_at_gateway_at
    Deposit.objects.filter(pk=deposit.pk).update(note="Checked with the customer.")

    report(client, deposit, status="REFUND", total=AMOUNT)

    assert refunded_at is not None
    assert deposit.refunded_at_gateway_at == refunded_at
    assert deposit.note == "Checked with the customer."
    assert len(staff_told(deposit)) == 1


def test_a_pending_gateway_deposit_is_still_the_gateways_to_decide(deposit):
    page = approve(deposit).content.decode()

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PENDING
    assert "decided here only once it is paid" in page


def test_a_refund_at_the_gateway_of_a_delivered_order_tells_staff_once(client, guest_order):
    deliver(client, payment_body(guest_order.code))
    guest_order.refresh_from_db()
    guest_order.status = OrderStatus.SUCCESS  # delivered meanwhile
    guest_order.save(update_fields=["status"])

    deliver(client, payment_body(guest_order.code, status="REFUND"))
    deliver(client, payment_body(guest_order.code, status="REFUND"))

    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.SUCCESS
    assert (
        OrderEvent.objects.filter(
            order=guest_order, message="The gateway reports this payment refunded"
        ).count()
        == 1
    )
    assert Notification.objects.filter(user=None, data__order=guest_order.code).count() == 1


def test_a_refund_report_for_a_guest_order_refunded_through_the_gateway_is_no_alarm(
    client, guest_order
):
    deliver(client, payment_body(guest_order.code))
    guest_order.refresh_from_db()
    guest_order.status = OrderStatus.FAILED  # placement failed; the refund goes by Tripay
    guest_order.save(update_fields=["status"])

    deliver(client, payment_body(guest_order.code, status="REFUND"))
    deliver(client, payment_body(guest_order.code, status="REFUND"))  # a repeat

    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.REFUNDED
    assert not Notification.objects.filter(user=None, data__order=guest_order.code).exists()


def test_a_gateway_refund_of_a_guest_order_staff_refunded_already_is_told(client, guest_order):
    deliver(client, payment_body(guest_order.code))
    guest_order.refresh_from_db()
    guest_order.status = OrderStatus.REFUNDED  # staff paid it back by bank transfer
    guest_order.save(update_fields=["status"])

    deliver(client, payment_body(guest_order.code, status="REFUND"))

    assert Notification.objects.filter(user=None, data__order=guest_order.code).count() == 1
