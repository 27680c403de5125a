"""Hubble takes back an order it delivered (REVERSED, or CANCELLED after SUCCESS).

Against the Hubble simulator over HTTP (live server, eager Celery): the order goes to
`needs_review` with the reason, its vouchers are marked revoked (order page, account page,
admin, the reseller API), staff are told once, the reseller gets a callback, and no money
moves: refunding is a person's decision (ops "keep refunded"). The same holds when a poll
finds the reversal, and a repeated REVERSED changes nothing and tells nobody twice.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ops.services import (
    ops_order_resend_email,
    ops_order_resolve_deliver,
    ops_order_resolve_refund,
)
from orders.models import Order, OrderStatus
from providers.hubble import simulator as hubble_simulator
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due
from resellers.models import ApiOrder, CallbackDelivery
from resellers.services import (
    ApiOrderRequest,
    api_key_create,
    api_order_create,
    reseller_set_callback_url,
)
from shop.errors import ApplicationError
from tests.ops.conftest import make_staff
from tests.orders.fixtures import balance_of, fund, make_user
from tests.pipeline.support import (
    HUBBLE,
    fresh,
    make_product,
    move_to,
    poll_cycle,
    refunds,
    staff_notifications,
)
from wallets.models import Transfer
from wallets.selectors import ledger_check
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db(transaction=True)

# customerDetails e-mail endings the simulator scripts (docs/providers/index.md)
REVERSED_LATER = "buyer90@example.com"  # success at once, reversed later
PENDING_SUCCESS = "buyer91@example.com"  # pending, then success


@pytest.fixture
def shop(sims, pricing, receiver):
    """A Hubble product at the simulator, and a funded reseller with an API key and a
    callback URL (the receiver)."""
    reseller = make_user("hubble-reseller", reseller=True)
    fund(reseller, Decimal("10000000"))
    reseller_set_callback_url(user=reseller, url=receiver.url)
    _key, raw_key = api_key_create(user=reseller, name="test")
    return {"product": make_product(HUBBLE), "reseller": reseller, "key": raw_key}


def api_buy(shop, email: str, ref_id: str = "R-1") -> Order:
    api_order, _ = api_order_create(
        user=shop["reseller"],
        ref_id=ref_id,
        request=ApiOrderRequest(product_id=shop["product"].pk, customer_data={"email": email}),
    )
    return fresh(api_order.order)


def sim_order(order: Order) -> SimulatedOrder:
    return SimulatedOrder.objects.get(provider=HUBBLE, reference=order.code)


def reverse_at_hubble_now(order: Order) -> None:
    """The simulator's scripted reversal comes due now: it reverses the order and sends
    Hubble's signed order-status callback to the shop (the live server)."""
    SimulatedOrder.objects.filter(pk=sim_order(order).pk).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    assert simulators_resolve_due() == 1


def callback_types(receiver) -> list[str]:
    return [json.loads(request["body"])["type"] for request in receiver.requests]


def money_snapshot(order: Order) -> tuple:
    return (
        balance_of(order.user),
        Transfer.objects.filter(reference=order.code).count(),
        refunds(order),
    )


def hubble_order_deliveries():
    return WebhookDelivery.objects.filter(source=WebhookSource.HUBBLE_ORDER).order_by("pk")


def assert_reversed_for_review(order: Order) -> None:
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "REVERSED" in order.failure_reason
    review = order.events.get(to_status=OrderStatus.NEEDS_REVIEW)
    assert "REVERSED" in review.message
    vouchers = list(order.vouchers.all())
    assert vouchers
    for voucher in vouchers:
        assert voucher.revoked_at is not None
        assert "REVERSED" in voucher.revoked_reason
    [told] = staff_notifications(title=f"Order {order.code} needs review")
    assert "REVERSED" in told.message


def test_a_reversed_callback_after_success_sends_the_order_to_review(shop, receiver):
    order = api_buy(shop, REVERSED_LATER)
    assert order.status == OrderStatus.SUCCESS
    [code] = order.vouchers.values_list("code", flat=True)
    assert callback_types(receiver) == ["order.success"]
    money_before = money_snapshot(order)

    reverse_at_hubble_now(order)

    order = fresh(order)
    assert_reversed_for_review(order)
    delivery = hubble_order_deliveries().last()
    callback = json.loads(bytes(delivery.raw_body))
    assert callback == {"id": order.provider_order_id, "status": "REVERSED"}
    assert (delivery.outcome, delivery.order_id) == (DeliveryOutcome.PROCESSED, order.pk)
    # nothing refunded, nothing moved: a person decides
    assert money_snapshot(order) == money_before
    assert ledger_check().ok
    # the reseller is told: in review, the vouchers revoked
    assert callback_types(receiver) == ["order.success", "order.needs_review"]
    payload = json.loads(receiver.requests[-1]["body"])["data"]
    assert payload["status"] == OrderStatus.NEEDS_REVIEW
    # the shop's own words for a revocation (the provider's stay with staff and the voucher)
    assert payload["message"].startswith("The supplier took back the codes of this order.")
    [voucher] = payload["vouchers"]
    assert voucher["code"] == code
    assert voucher["revoked"] is True
    assert voucher["revoked_at"]
    assert "REVERSED" in voucher["revoked_reason"]


def test_the_revoked_codes_show_as_revoked_on_every_page(shop, receiver):
    order = api_buy(shop, REVERSED_LATER)
    reverse_at_hubble_now(order)
    order = fresh(order)
    reseller = shop["reseller"]
    browser = Client()
    browser.force_login(reseller)

    page = browser.get(f"/orders/{order.code}/").content.decode()
    assert "data-voucher-revoked" in page
    assert "Revoked" in page
    status_part = browser.get(f"/orders/{order.code}/status/").content.decode()
    assert "data-voucher-revoked" in status_part
    history = browser.get("/account/orders/").content.decode()
    assert "data-codes-revoked" in history
    notices = browser.get("/account/notifications/").content.decode()
    assert "data-codes-revoked" in notices  # the "complete" notice that carried the code

    api = Client().get("/api/v1/orders/R-1", HTTP_AUTHORIZATION=f"Bearer {shop['key']}")
    assert api.status_code == 200
    [voucher] = api.json()["vouchers"]
    assert voucher["revoked"] is True
    assert api.json()["status"] == OrderStatus.NEEDS_REVIEW

    admin = Client()
    admin.force_login(make_staff("ada", "admin"))
    admin_page = admin.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Revoked 20" in admin_page  # "Revoked <when>: <why>" beside the masked code
    voucher_list = admin.get("/admin/orders/voucher/").content.decode()
    assert "Revoked 20" in voucher_list
    revealed = admin.post(f"/admin/orders/order/{order.pk}/reveal/", {"confirm": "on"})
    assert "Revoked 20" in revealed.content.decode()


def test_a_repeated_reversed_changes_nothing_and_tells_nobody_twice(shop, receiver):
    order = api_buy(shop, REVERSED_LATER)
    reverse_at_hubble_now(order)
    order = fresh(order)
    events = order.events.count()
    notices = staff_notifications().count()
    revoked = list(order.vouchers.values_list("revoked_at", flat=True))
    money = money_snapshot(order)

    assert hubble_simulator.send_order_status(sim_order(order))  # Hubble sends it again

    again = fresh(order)
    assert again.status == OrderStatus.NEEDS_REVIEW
    assert again.events.count() == events
    assert staff_notifications().count() == notices
    assert list(again.vouchers.values_list("revoked_at", flat=True)) == revoked
    assert callback_types(receiver) == ["order.success", "order.needs_review"]
    assert CallbackDelivery.objects.filter(order=order).count() == 2
    assert money_snapshot(again) == money
    assert hubble_order_deliveries().last().outcome in (
        DeliveryOutcome.PROCESSED,
        DeliveryOutcome.DUPLICATE,
    )


def test_a_poll_that_finds_the_order_reversed_sends_it_to_review(shop, receiver, clock):
    order = api_buy(shop, PENDING_SUCCESS)
    assert order.status == OrderStatus.PROCESSING
    # Hubble delivers, then reverses it by hand; both callbacks are lost on the way.
    SimulatedOrder.objects.filter(pk=sim_order(order).pk).update(callback_url="http://127.0.0.1:9/")
    hubble_simulator.reverse_order(sim_order(order))
    assert sim_order(order).status == "REVERSED"
    money_before = money_snapshot(order)

    move_to(clock, fresh(order).next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert_reversed_for_review(order)
    sim = sim_order(order)
    delivered = [voucher["cardNumber"] for voucher in sim.state["vouchers"]]
    assert [voucher.code for voucher in order.vouchers.all()] == delivered
    assert money_snapshot(order) == money_before  # no refund
    assert ledger_check().ok
    assert callback_types(receiver) == ["order.needs_review"]
    [voucher] = json.loads(receiver.requests[-1]["body"])["data"]["vouchers"]
    assert voucher["revoked"] is True
    # the next beats leave it to staff: no more polls, nothing changes
    clock.shift(timedelta(hours=2))
    poll_cycle()
    assert fresh(order).status == OrderStatus.NEEDS_REVIEW
    assert money_snapshot(order) == money_before


def test_staff_keep_a_reversed_order_refunded(shop, receiver, staff_groups):
    order = api_buy(shop, REVERSED_LATER)
    reverse_at_hubble_now(order)
    order = fresh(order)
    balance = balance_of(order.user)
    finance = make_staff("fin", "finance")

    with pytest.raises(ApplicationError, match="revoked"):
        ops_order_resolve_deliver(order=order, actor=finance, reason="codes look fine")

    ops_order_resolve_refund(order=order, actor=finance, reason="Hubble reversed it")

    order = fresh(order)
    assert order.status == OrderStatus.REFUNDED
    assert balance_of(order.user) == balance + order.price
    assert refunds(order) == 1
    assert ledger_check().ok
    assert callback_types(receiver)[-1] == "order.refunded"
    # the buyer's e-mail, sent again, marks the code it carries as revoked
    ops_order_resend_email(order=order, actor=finance)
    [code] = order.vouchers.values_list("code", flat=True)
    [line] = [line for line in mail.outbox[-1].body.splitlines() if code in line]
    assert line.startswith("Revoked")
    assert ApiOrder.objects.get(order=order).ref_id == "R-1"
