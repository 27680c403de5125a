"""A guest order's link token (the key to its page, which shows codes in clear) never
reaches a place support staff read: not the gateway call log, not the simulators' state.
The buyer still comes back from the gateway to their order page."""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from ops.models import VoucherReveal
from orders.checkout import checkout_create
from orders.models import OrderStatus, PaymentMethod, Voucher
from orders.purchase import Purchase
from orders.views import remember_guest_order
from providers.http import _body_for_log
from providers.models import ProviderCall, SimulatedOrder
from providers.tripay.simulator import simulate_tripay_payment
from tests.ops.conftest import staff_client
from tests.pipeline.support import DIGIFLAZZ, customer_data, fresh


@pytest.fixture
def tripay(sims, settings):
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = sims + "/sim/tripay/api"
    return sims


def guest_order(products):
    return checkout_create(
        purchase=Purchase(
            product=products[DIGIFLAZZ],
            customer_data=customer_data(DIGIFLAZZ),
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
            channel="BRIVA",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_support_cannot_read_the_guest_link_token_in_the_admin(tripay, products, staff_groups):
    order = guest_order(products)
    simulate_tripay_payment(order.gateway_reference)
    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    voucher = Voucher.objects.get(order=order)
    assert voucher.serial or voucher.code

    support = staff_client("sue-support", "support")
    calls = [
        support.get(reverse("admin:providers_providercall_change", args=[call.pk]))
        for call in ProviderCall.objects.all()
    ]
    assert calls
    assert all(page.status_code == 200 for page in calls)
    simulated = [
        support.get(reverse("admin:providers_simulatedorder_change", args=[sim.pk]))
        for sim in SimulatedOrder.objects.all()
    ]
    assert simulated
    pages = calls + simulated
    assert not [page for page in pages if order.access_token in page.content.decode()]
    assert not VoucherReveal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_gateway_gets_a_return_address_without_the_token(tripay, products):
    order = guest_order(products)
    sim = SimulatedOrder.objects.get(reference=order.code)
    assert sim.request["return_url"].endswith(f"/orders/{order.code}/return/")


@pytest.mark.django_db(transaction=True)
def test_the_guest_who_checked_out_comes_back_to_their_order_page(tripay, products):
    order = guest_order(products)
    browser = Client()
    session = browser.session
    remember_guest_order(session=session, order=order)  # what the checkout view does
    session.save()

    reply = browser.get(f"/orders/{order.code}/return/")
    assert reply.status_code == 302
    assert reply["Location"] == f"/orders/{order.code}/?t={order.access_token}"


@pytest.mark.django_db(transaction=True)
def test_someone_else_at_the_return_address_sees_no_order(tripay, products):
    order = guest_order(products)
    simulate_tripay_payment(order.gateway_reference)
    voucher = Voucher.objects.get(order=fresh(order))
    reply = Client().get(f"/orders/{order.code}/return/")
    assert reply.status_code == 200
    body = reply.content.decode()
    assert order.access_token not in body
    assert (voucher.serial or voucher.code) not in body
    assert order.customer_no not in body
    assert "e-mail" in body


def test_a_link_token_in_a_logged_body_is_redacted():
    logged = _body_for_log(
        {"return_url": "https://shop.example/orders/X1/?t=SECRET123&x=1", "n": 1},
        frozenset(),
    )
    assert "SECRET123" not in logged
    assert "https://shop.example/orders/X1/?t=[redacted]&x=1" in logged
    assert "SECRET123" not in _body_for_log(b"url=https://s/orders/X1/?t=SECRET123", frozenset())


@pytest.mark.django_db
def test_the_migration_cleans_stored_calls_and_simulator_state():
    call = ProviderCall.objects.create(
        provider="tripay",
        endpoint="create",
        method="POST",
        url="https://tripay/create",
        request_id="r1",
        outcome="ok",
        request_body='{"return_url": "https://s/orders/AB12/?t=SECRETTOKEN"}',
        response_body='{"data": {"return_url": "https://s/orders/AB12/?t=SECRETTOKEN"}}',
    )
    sim = SimulatedOrder.objects.create(
        provider="tripay",
        reference="AB12",
        external_id="T1",
        status="UNPAID",
        request={"return_url": "https://s/orders/AB12/?t=SECRETTOKEN"},
    )
    migration = importlib.import_module("providers.migrations.0002_forget_guest_link_tokens")
    migration.forget_guest_link_tokens(apps, None)
    call.refresh_from_db()
    sim.refresh_from_db()
    assert "SECRETTOKEN" not in call.request_body + call.response_body
    assert sim.request["return_url"] == "https://s/orders/AB12/return/"
