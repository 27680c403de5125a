"""Money at the clock: a gateway payment is given up on only after asking the gateway.

Orders and deposits pay at the Tripay simulator over real HTTP (this process's live
server, speaking Tripay's protocol, `transaction/detail` included); "the callback was lost"
is the simulator paying without sending it (the shop down through Tripay's retries). The
clock travels; the expiry job and the sweep run as the beat runs them (eager tasks)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from orders import tasks
from orders.checkout import checkout_create, deposit_checkout_create
from orders.models import Order, OrderStatus, PaymentMethod
from orders.payment_checks import SWEEP_AFTER, UNPAID_GRACE
from orders.purchase import Purchase
from providers.base import PaymentStatus
from providers.models import ProviderCall, SimulatedOrder
from providers.tripay import webhook
from providers.tripay.simulator import simulate_tripay_payment
from providers.tripay.simulator_checkout import payment_callback_body
from tests.orders.fixtures import balance_of, make_user
from tests.pipeline.support import DIGIFLAZZ, customer_data, fresh, move_to
from tests.providers.tripay.callbacks import capture_callbacks
from wallets.models import Deposit, DepositStatus, SystemAccount, Transfer
from wallets.selectors import ledger_check, system_account_balance
from wallets.services import system_wallet
from webhooks.models import DeliveryOutcome, WebhookDelivery

MINUTE = timedelta(minutes=1)
DEPOSIT = Decimal("50000.00")


@pytest.fixture
def tripay(sims, settings) -> str:
    """Buyers pay at the Tripay simulator of this test's live server."""
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = sims + "/sim/tripay/api"
    return sims


@pytest.fixture
def lost_callbacks(monkeypatch):
    """Every callback the simulator sends is lost on the way (the shop was down)."""
    return capture_callbacks(monkeypatch)


def gateway_order(product) -> Order:
    return checkout_create(
        purchase=Purchase(
            product=product,
            customer_data=customer_data(DIGIFLAZZ),
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
            channel="BRIVA",
        )
    )


def gateway_deposit(user) -> Deposit:
    deposit_checkout_create(user=user, amount=DEPOSIT, channel="BRIVA")
    return Deposit.objects.get(user=user)


def detail_calls(reference: str) -> int:
    return ProviderCall.objects.filter(endpoint="transaction/detail", reference=reference).count()


def deliver_the_lost_callback(reference: str):
    """The callback Tripay sent for this payment, arriving (late) after all."""
    body = payment_callback_body(
        SimulatedOrder.objects.get(provider="tripay", external_id=reference)
    )
    return Client().post(
        "/api/webhooks/tripay",
        data=body,
        content_type="application/json",
        HTTP_X_CALLBACK_SIGNATURE=webhook.sign_callback(settings.TRIPAY_PRIVATE_KEY, body),
        HTTP_X_CALLBACK_EVENT=webhook.PAYMENT_STATUS_EVENT,
    )


def sales_and_clearing() -> tuple[Decimal, Decimal]:
    """Sales (with the provider costs booked on delivery added back) and gateway clearing."""
    return (
        system_account_balance(SystemAccount.SALES)
        + system_account_balance(SystemAccount.PROVIDER_COSTS),
        system_wallet(SystemAccount.GATEWAY_CLEARING).balance,
    )


def test_a_paid_order_whose_callback_was_lost_is_paid_by_the_expiry_job_then_placed(
    tripay, products, clock
):
    order = gateway_order(products[DIGIFLAZZ])
    simulate_tripay_payment(order.gateway_reference, callback_lost=True)
    move_to(clock, order.payment_expires_at)

    tasks.orders_expire_unpaid.delay()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS  # paid, placed at Digiflazz, delivered
    assert order.amount_received == order.price
    assert order.events.filter(to_status=OrderStatus.EXPIRED).count() == 0
    assert order.events.get(to_status=OrderStatus.PAID).data["via"] == "status_check"
    assert detail_calls(order.gateway_reference) == 1
    assert sales_and_clearing() == (order.price, -order.price)
    assert not WebhookDelivery.objects.exists()  # no callback ever arrived
    assert ledger_check().ok


def test_the_sweep_pays_a_lost_callback_within_minutes_and_a_late_callback_adds_nothing(
    tripay, products, clock
):
    order = gateway_order(products[DIGIFLAZZ])
    simulate_tripay_payment(order.gateway_reference, callback_lost=True)

    tasks.gateway_payments_sweep.delay()  # too young: not asked yet
    assert detail_calls(order.gateway_reference) == 0
    move_to(clock, order.created_at + SWEEP_AFTER)
    tasks.gateway_payments_sweep.delay()

    assert fresh(order).status == OrderStatus.SUCCESS
    reply = deliver_the_lost_callback(order.gateway_reference)
    assert (reply.status_code, reply.json()) == (200, {"success": True})
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.DUPLICATE
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count() == 1
    assert sales_and_clearing() == (order.price, -order.price)
    tasks.gateway_payments_sweep.delay()  # a paid order is not asked about again
    assert detail_calls(order.gateway_reference) == 1
    assert ledger_check().ok


def test_a_paid_deposit_whose_callback_was_lost_is_credited_once_by_the_sweep(
    tripay, clock, transactional_db
):
    customer = make_user("topper")
    deposit = gateway_deposit(customer)
    simulate_tripay_payment(deposit.gateway_reference, callback_lost=True)
    move_to(clock, deposit.created_at + SWEEP_AFTER)

    tasks.gateway_payments_sweep.delay()
    tasks.gateway_payments_sweep.delay()  # credited already: not asked again

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CREDITED
    assert balance_of(customer) == DEPOSIT
    assert detail_calls(deposit.gateway_reference) == 1
    deliver_the_lost_callback(deposit.gateway_reference)  # arrives after all
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.DUPLICATE
    assert balance_of(customer) == DEPOSIT
    assert system_wallet(SystemAccount.GATEWAY_CLEARING).balance == -DEPOSIT
    assert ledger_check().ok


def test_unpaid_waits_until_the_gateways_own_expiry(tripay, products, clock, lost_callbacks):
    order = gateway_order(products[DIGIFLAZZ])
    # The shop's payment time is over, Tripay's (expired_time) is not: the buyer may pay.
    Order.objects.filter(pk=order.pk).update(
        payment_expires_at=order.payment_expires_at - 30 * MINUTE
    )
    move_to(clock, order.payment_expires_at - 30 * MINUTE)

    tasks.orders_expire_unpaid.delay()
    tasks.orders_expire_unpaid.delay()

    assert fresh(order).status == OrderStatus.PENDING_PAYMENT
    assert detail_calls(order.gateway_reference) == 2  # asked each time, told UNPAID
    simulate_tripay_payment(order.gateway_reference, callback_lost=True)
    tasks.orders_expire_unpaid.delay()
    assert fresh(order).status == OrderStatus.SUCCESS


def test_unpaid_past_the_gateways_expiry_expires(tripay, products, clock, lost_callbacks):
    order = gateway_order(products[DIGIFLAZZ])
    # A gateway late to close it: still UNPAID after its expired_time.
    SimulatedOrder.objects.filter(provider="tripay").update(resolve_at=None)
    move_to(clock, order.payment_expires_at)

    tasks.orders_expire_unpaid.delay()
    assert fresh(order).status == OrderStatus.PENDING_PAYMENT  # within the grace
    move_to(clock, order.payment_expires_at + UNPAID_GRACE)
    tasks.orders_expire_unpaid.delay()

    order = fresh(order)
    assert order.status == OrderStatus.EXPIRED
    assert "still says UNPAID" in order.events.get(to_status=OrderStatus.EXPIRED).message
    assert sales_and_clearing() == (0, 0)


def test_expired_at_the_gateway_expires_the_order_after_asking(
    tripay, products, clock, lost_callbacks
):
    order = gateway_order(products[DIGIFLAZZ])
    move_to(clock, order.payment_expires_at)

    tasks.orders_expire_unpaid.delay()

    order = fresh(order)
    assert order.status == OrderStatus.EXPIRED
    assert order.events.get(to_status=OrderStatus.EXPIRED).data["via"] == "status_check"
    assert detail_calls(order.gateway_reference) == 1
    assert sales_and_clearing() == (0, 0)


def test_failed_at_the_gateway_cancels_the_order_and_rejects_the_deposit(
    tripay, products, clock, lost_callbacks
):
    order = gateway_order(products[DIGIFLAZZ])
    deposit = gateway_deposit(make_user("topper"))
    simulate_tripay_payment(order.gateway_reference, PaymentStatus.FAILED)
    simulate_tripay_payment(deposit.gateway_reference, PaymentStatus.FAILED)
    move_to(clock, order.created_at + SWEEP_AFTER)

    tasks.gateway_payments_sweep.delay()

    assert fresh(order).status == OrderStatus.CANCELLED
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.REJECTED
    assert sales_and_clearing() == (0, 0)


def test_a_gateway_that_cannot_be_asked_expires_nothing(tripay, products, clock, settings):
    order = gateway_order(products[DIGIFLAZZ])
    deposit = gateway_deposit(make_user("topper"))
    simulate_tripay_payment(order.gateway_reference, callback_lost=True)
    settings.TRIPAY_BASE_URL = "http://127.0.0.1:9/api"  # nothing listens: Tripay is down
    move_to(clock, order.payment_expires_at + UNPAID_GRACE)

    tasks.orders_expire_unpaid.delay()
    tasks.gateway_payments_sweep.delay()

    assert fresh(order).status == OrderStatus.PENDING_PAYMENT
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PENDING
    assert ProviderCall.objects.filter(endpoint="transaction/detail").exists()
    settings.TRIPAY_BASE_URL = tripay + "/sim/tripay/api"  # back: asked again next time
    tasks.orders_expire_unpaid.delay()
    assert fresh(order).status == OrderStatus.SUCCESS


def test_an_unpaid_deposit_is_rejected_only_after_the_gateways_expiry(
    tripay, clock, lost_callbacks, transactional_db
):
    customer = make_user("topper")
    deposit = gateway_deposit(customer)
    payment = SimulatedOrder.objects.get(provider="tripay", reference=f"DEP-{deposit.pk}")
    payment.resolve_at = None  # a gateway late to close it: UNPAID after its expired_time
    payment.save(update_fields=["resolve_at"])
    expired_time = datetime.fromtimestamp(payment.state["expired_time"], tz=UTC)

    move_to(clock, expired_time)
    tasks.gateway_payments_sweep.delay()
    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.PENDING  # UNPAID, within the grace
    move_to(clock, expired_time + UNPAID_GRACE)
    tasks.gateway_payments_sweep.delay()

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.REJECTED
    assert deposit.note.startswith("Unpaid at the gateway after its expiry")
    assert balance_of(customer) == 0
