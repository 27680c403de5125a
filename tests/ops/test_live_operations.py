"""Admin operations against the provider simulators (live server, eager Celery): the
request only queues the work; the worker's answer moves the order or fills the catalog."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product, SyncRun
from orders import pipeline
from orders.models import Order, OrderEvent, OrderStatus
from providers.defaults import provider_ensure
from tests.ops.conftest import staff_client
from tests.ops.test_order_actions import operate
from tests.pipeline.support import (
    DIGIFLAZZ,
    FOXRELOAD,
    SIM_PRODUCTS,
    STATUS_ENDPOINTS,
    buy,
    calls,
    fresh,
    make_product,
    move_to,
    sim_orders,
    status_checks,
)

pytestmark = pytest.mark.django_db(transaction=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def support(staff_groups):
    return staff_client("sue-support", "support")


def test_support_queues_check_status_now_and_the_order_follows_the_simulator(
    sims, pricing, buyer, clock, settings, support
):
    settings.SIMULATOR_PENDING_SECONDS = 60
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91")  # pending at FoxReload
    assert order.status == OrderStatus.PROCESSING
    reads, polls = status_checks(order), order.poll_count

    early = operate(support, order, "check")

    assert early.status_code == 302
    assert messages_of(early) == [
        f"{order.code}: Status check queued; this page shows the provider's answer once in."
    ]
    order = fresh(order)
    assert order.status == OrderStatus.PROCESSING  # FoxReload still processing
    assert (status_checks(order), order.poll_count) == (reads + 1, polls + 1)
    assert order.poll_claim == ""  # the claim is released once the answer is applied

    move_to(clock, sim_orders(order).get().resolve_at)
    operate(support, order, "check")

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.count() == 1
    assert status_checks(order) == reads + 2
    assert calls(order, STATUS_ENDPOINTS[FOXRELOAD]).count() == reads + 2
    queued_by = OrderEvent.objects.filter(order=order, message="Status check queued by sue-support")
    assert queued_by.count() == 2


def test_check_status_now_waits_for_a_poll_already_in_flight(sims, pricing, buyer, support):
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91")
    Order.objects.filter(pk=order.pk).update(next_poll_at=timezone.now())
    [(_, claim)] = pipeline.orders_poll_due()  # the beat claimed it; not run yet
    reads = status_checks(order)

    response = operate(support, order, "check")

    assert messages_of(response) == [
        f"{order.code}: A status check is already in flight; its answer will show here."
    ]
    assert status_checks(order) == reads
    assert fresh(order).poll_claim == claim
    assert not OrderEvent.objects.filter(order=order, message__startswith="Status check").exists()


@pytest.mark.parametrize("group", ["finance", None])
def test_only_staff_who_manage_orders_may_check_status(sims, pricing, buyer, staff_groups, group):
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91")
    reads = status_checks(order)
    client = staff_client("someone", group)

    assert operate(client, order, "check").status_code == 403
    assert status_checks(order) == reads
    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert "Check status now" not in page.content.decode()


def sync_now(client, provider):
    return client.post(
        reverse("admin:catalog_provider_changelist"),
        {"action": "sync_catalog_now", "_selected_action": [provider.pk]},
    )


def test_sync_catalog_now_is_queued_and_its_sync_run_shows_on_the_provider_page(sims, staff_groups):
    provider = provider_ensure(DIGIFLAZZ)
    admin = staff_client("ada-admin", "admin")
    assert not Product.objects.filter(provider=provider).exists()

    response = sync_now(admin, provider)

    assert messages_of(response) == [
        "Queued 1 catalog sync(s); the Last catalog sync column shows each SyncRun when it is done."
    ]
    run = SyncRun.objects.get(provider=provider)
    products = Product.objects.filter(provider=provider)
    assert run.status == SyncRun.Status.SUCCESS
    assert run.created == products.count() > 0
    assert products.filter(provider_sku="DANA10", cost=SIM_PRODUCTS[DIGIFLAZZ].cost).exists()
    page = admin.get(reverse("admin:catalog_provider_change", args=[provider.pk])).content
    shown = f"created {run.created}, updated 0, deactivated 0, hidden {run.hidden}"
    assert reverse("admin:catalog_syncrun_change", args=[run.pk]) in page.decode()
    assert shown in page.decode()
    listing = admin.get(reverse("admin:catalog_provider_changelist")).content.decode()
    assert shown in listing


def test_support_cannot_sync_a_catalog(sims, staff_groups):
    provider = provider_ensure(DIGIFLAZZ)

    sync_now(staff_client("sue-support", "support"), provider)

    assert not SyncRun.objects.exists()
    assert not Product.objects.exists()


def test_check_balance_now_reads_stores_and_shows_the_simulators_balance(sims, staff_groups):
    from decimal import Decimal

    from catalog.models import Provider
    from providers.hubble import simulator_state

    simulator_state.set_wallet_balance(Decimal("123456.78"))
    hubble, digiflazz = provider_ensure("hubble"), provider_ensure(DIGIFLAZZ)
    admin = staff_client("ada-admin", "admin")
    before = timezone.now()

    response = admin.post(
        reverse("admin:catalog_provider_changelist"),
        {"action": "check_balance_now", "_selected_action": [hubble.pk, digiflazz.pk]},
        follow=True,
    )

    hubble, digiflazz = Provider.objects.get(pk=hubble.pk), Provider.objects.get(pk=digiflazz.pk)
    assert hubble.last_balance == Decimal("123456.78")
    assert digiflazz.last_balance == Decimal("10000000")  # the simulator's starting deposit
    assert hubble.last_balance_at >= before
    assert digiflazz.last_balance_at >= before
    assert sorted(messages_of(response)) == sorted(
        [
            f"{hubble.name}: 123456.78 INR.",
            f"{digiflazz.name}: 10000000 IDR.",
        ]
    )
    page = admin.get(reverse("admin:catalog_provider_change", args=[hubble.pk])).content.decode()
    assert "123456.78" in page or "123,456.78" in page
