"""Provider health on the ops dashboard (exact numbers, the circuit and its failures linked to
the call log, staff's audited switch) and /metrics: who may scrape it, and the values of
every family for known data, read back with prometheus_client's own parser."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from orders.models import Order, OrderStatus
from providers.models import CallOutcome, CircuitChange, CircuitState, ProviderCall, ProviderCircuit
from shop.ratelimit import redis_client
from tests.catalog.factories import ProductFactory, ProviderFactory
from tests.ops.conftest import make_staff
from wallets.models import Transfer, TransferReason
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 15, 14, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
OUTSIDE = "203.0.113.7"
QUEUE = "health-test-queue"


@pytest.fixture
def frozen(settings):
    settings.PROVIDER_HEALTH_WINDOW_SECONDS = 300
    settings.METRICS_WINDOW_SECONDS = 3600
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    settings.METRICS_TOKEN = "scrape-secret"
    settings.METRICS_CELERY_QUEUES = [QUEUE]
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    with time_machine.travel(NOW, tick=False):
        yield


def seed_call(provider: str, latency: int, *, fault: bool = False, ago=timedelta(minutes=1)):
    call = ProviderCall.objects.create(
        provider=provider,
        endpoint="transaction",
        method="POST",
        url="https://example.test/",
        request_id="r",
        http_status=503 if fault else 200,
        latency_ms=latency,
        outcome=CallOutcome.HTTP_ERROR if fault else CallOutcome.OK,
        provider_fault=fault,
        error="Service Unavailable" if fault else "",
    )
    ProviderCall.objects.filter(pk=call.pk).update(created_at=NOW - ago)
    return call


def seed_order(product, status: str, number: int, *, ago=timedelta(minutes=10)) -> Order:
    order = Order.objects.create(
        code=f"TRX-HEALTH-{number:03d}",
        access_token=f"health-{number}",
        guest_email="h@example.com",
        product=product,
        product_name=product.name,
        provider_code=product.provider.code,
        provider_sku=product.provider_sku,
        price_tier="retail",
        customer_no="12345678",
        price=Decimal("10500"),
        cost=Decimal("10000"),
        currency="IDR",
        payment_method="gateway",
        status=status,
    )
    Order.objects.filter(pk=order.pk).update(created_at=NOW - ago)
    return order


@pytest.fixture
def data(frozen):
    sick = ProviderFactory(
        code="sickprov", name="Sick", last_balance=Decimal("50000"), low_balance_threshold=100000
    )
    well = ProviderFactory(code="wellprov", name="Well", last_balance=Decimal("2500000"))
    ProviderFactory(code="quietprov", name="Quiet")
    # Sick: 5 calls in the window, 3 failed; p50 300 ms, p95 = 1000 + 0.8 * 1000 = 1800.
    seed_call("sickprov", 100)
    seed_call("sickprov", 200)
    first_failure = seed_call("sickprov", 300, fault=True, ago=timedelta(minutes=3))
    last_failure = seed_call("sickprov", 1000, fault=True, ago=timedelta(minutes=2))
    seed_call("sickprov", 2000, fault=True, ago=timedelta(seconds=30))
    seed_call("sickprov", 9999, fault=True, ago=timedelta(minutes=10))  # before the window
    seed_call("wellprov", 40)
    seed_call("wellprov", 60)
    ProviderCircuit.objects.create(
        provider="sickprov",
        state=CircuitState.OPEN,
        state_since=NOW - timedelta(seconds=30),
        consecutive_failures=5,
    )
    # Orders: two in the hour for sick, one processing for well, one old success.
    sick_product = ProductFactory(provider=sick)
    well_product = ProductFactory(provider=well)
    seed_order(sick_product, OrderStatus.SUCCESS, 1)
    seed_order(sick_product, OrderStatus.FAILED, 2)
    seed_order(well_product, OrderStatus.PROCESSING, 3)
    seed_order(well_product, OrderStatus.SUCCESS, 4, ago=timedelta(hours=3))
    seed_order(sick_product, OrderStatus.PROCESSING, 5, ago=timedelta(hours=3))
    # Ledger transfers in the hour (and one before it).
    for number, reason in enumerate(
        [TransferReason.PURCHASE, TransferReason.PURCHASE, TransferReason.REFUND]
    ):
        Transfer.objects.create(idempotency_key=f"health-{number}", fingerprint="f", reason=reason)
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):  # rows never change
        Transfer.objects.create(
            idempotency_key="health-old", fingerprint="f", reason=TransferReason.DEPOSIT
        )
    # Callbacks rejected or failed in the hour.
    for source, outcome, status in [
        (WebhookSource.TRIPAY, DeliveryOutcome.REJECTED, 403),
        (WebhookSource.TRIPAY, DeliveryOutcome.REJECTED, 403),
        (WebhookSource.DIGIFLAZZ, DeliveryOutcome.REJECTED, 401),
        (WebhookSource.DIGIFLAZZ, DeliveryOutcome.FAILED, 500),
        (WebhookSource.DIGIFLAZZ, DeliveryOutcome.PROCESSED, 200),
    ]:
        WebhookDelivery.objects.create(
            source=source, raw_body=b"{}", outcome=outcome, http_status=status
        )
    # Three messages waiting in the Celery queue.
    client = redis_client(redis_url())
    client.delete(QUEUE)
    client.rpush(QUEUE, "a", "b", "c")
    yield {"first_failure": first_failure, "last_failure": last_failure}
    client.delete(QUEUE)


def redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL


def row_cells(html: str, code: str) -> dict[str, str]:
    (row,) = re.findall(rf'<tr id="health-{code}">(.*?)</tr>', html, re.S)
    return {
        name: re.sub(r"<[^>]+>", "", value).strip()
        for name, value in re.findall(r'<td class="([\w-]+)">(.*?)</td>', row, re.S)
    }


# --- the dashboard -----------------------------------------------------------------------------
def test_the_dashboard_shows_each_providers_health(admin_group_client, data):
    html = admin_group_client.get(reverse("ops-dashboard")).content.decode()

    assert row_cells(html, "sickprov") == {
        "circuit": "OPEN",
        "failures": "5",
        "calls": "5",
        "failed": "3",
        "error-rate": "60.0%",
        "p50": "300 ms",
        "p95": "1800 ms",
        "balance": "Rp 50,000 LOW",
    }
    assert row_cells(html, "wellprov") == {
        "circuit": "closed",
        "failures": "0",
        "calls": "2",
        "failed": "0",
        "error-rate": "0.0%",
        "p50": "50 ms",
        "p95": "59 ms",
        "balance": "Rp 2,500,000",
    }
    assert row_cells(html, "quietprov")["calls"] == "0"
    assert row_cells(html, "quietprov")["p95"] == "\N{EN DASH}"
    sick_row = re.search(r'<tr id="health-sickprov">(.*?)</tr>', html, re.S).group(1)
    links = re.findall(r'href="/admin/providers/providercall/(\d+)/change/"', sick_row)
    # The four failed calls, newest first (the one before the window too: recent failures).
    assert links[1:3] == [str(data["last_failure"].pk), str(data["first_failure"].pk)]
    assert len(links) == 4


def test_staff_force_a_circuit_closed_audited(admin_group_client, data):
    response = admin_group_client.post(
        reverse("ops-circuit-force", args=["sickprov"]),
        {"state": "closed", "reason": "provider says it is fixed"},
    )

    assert response.status_code == 302
    circuit = ProviderCircuit.objects.get(provider="sickprov")
    assert (circuit.state, circuit.consecutive_failures) == (CircuitState.CLOSED, 0)
    change = CircuitChange.objects.get(provider="sickprov")
    assert change.actor.username == "ada-admin"
    assert change.reason == "forced closed by ada-admin: provider says it is fixed"


def test_forcing_needs_the_right_and_a_reason(support_client, admin_group_client, data):
    url = reverse("ops-circuit-force", args=["wellprov"])

    assert support_client.post(url, {"state": "open", "reason": "x"}).status_code == 403
    assert admin_group_client.post(url, {"state": "open"}).status_code == 400
    assert admin_group_client.post(url, {"state": "half_open", "reason": "x"}).status_code == 400
    unknown = reverse("ops-circuit-force", args=["nosuch"])
    assert admin_group_client.post(unknown, {"state": "open", "reason": "x"}).status_code == 404
    assert not CircuitChange.objects.exists()
    assert not ProviderCircuit.objects.filter(provider="wellprov").exists()


# --- /metrics access ---------------------------------------------------------------------------
def test_anonymous_callers_outside_the_allow_list_are_refused(frozen, db):
    client = Client(REMOTE_ADDR=OUTSIDE)

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="scrape-secret").status_code == 403
    # A forwarded address is believed only from a trusted proxy.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403


def test_a_non_staff_user_outside_the_allow_list_is_refused(frozen, db):
    from tests.orders.fixtures import make_user

    client = Client(REMOTE_ADDR=OUTSIDE)
    client.force_login(make_user("buyer-bob"))

    assert client.get("/metrics").status_code == 403


def test_staff_allow_listed_addresses_and_the_token_may_scrape(frozen, db, settings):
    staff = Client(REMOTE_ADDR=OUTSIDE)
    staff.force_login(make_staff("sam-staff", None))
    settings.TRUSTED_PROXIES = ["192.0.2.1"]

    assert staff.get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client().get("/metrics").status_code == 200  # 127.0.0.1
    proxied = Client(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert proxied.get("/metrics").status_code == 200
    token = Client(REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer scrape-secret")
    response = token.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


def test_no_token_set_means_no_token_access(frozen, db, settings):
    settings.METRICS_TOKEN = ""

    client = Client(REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")
    assert client.get("/metrics").status_code == 403


# --- /metrics values ---------------------------------------------------------------------------
def scrape() -> dict[str, dict[tuple, float]]:
    text = Client().get("/metrics").content.decode()
    families = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            families.setdefault(sample.name, {})[key] = sample.value
    return families


def labels(**values) -> tuple:
    return tuple(sorted(values.items()))


def test_the_exposition_holds_the_seeded_values(data):
    metrics = scrape()

    assert metrics["shop_orders"] == {
        labels(state="success", provider="sickprov"): 1,
        labels(state="failed", provider="sickprov"): 1,
        labels(state="processing", provider="wellprov"): 1,
    }
    assert metrics["shop_orders_open"] == {
        labels(state="processing", provider="wellprov"): 1,
        labels(state="processing", provider="sickprov"): 1,
    }
    assert metrics["shop_provider_calls"] == {
        labels(provider="sickprov"): 5,
        labels(provider="wellprov"): 2,
        labels(provider="quietprov"): 0,
    }
    assert metrics["shop_provider_call_errors"][labels(provider="sickprov")] == 3
    assert metrics["shop_provider_error_ratio"][labels(provider="sickprov")] == 0.6
    assert metrics["shop_provider_call_latency_seconds"] == {
        labels(provider="sickprov", quantile="0.5"): 0.3,
        labels(provider="sickprov", quantile="0.95"): 1.8,
        labels(provider="wellprov", quantile="0.5"): 0.05,
        labels(provider="wellprov", quantile="0.95"): 0.059,
    }
    assert metrics["shop_provider_circuit_state"] == {
        labels(provider="sickprov"): 2,
        labels(provider="wellprov"): 0,
        labels(provider="quietprov"): 0,
    }
    assert metrics["shop_provider_consecutive_failures"][labels(provider="sickprov")] == 5
    assert metrics["shop_provider_balance"] == {
        labels(provider="sickprov", currency="IDR"): 50000,
        labels(provider="wellprov", currency="IDR"): 2500000,
    }
    assert metrics["shop_ledger_transfers"] == {
        labels(reason="purchase"): 2,
        labels(reason="refund"): 1,
    }
    assert metrics["shop_webhook_rejects"] == {
        labels(source="tripay", outcome="rejected", status="403"): 2,
        labels(source="digiflazz", outcome="rejected", status="401"): 1,
        labels(source="digiflazz", outcome="failed", status="500"): 1,
    }
    assert metrics["shop_celery_queue_length"] == {labels(queue=QUEUE): 3}


def test_a_circuit_half_open_reads_1(data):
    ProviderCircuit.objects.filter(provider="sickprov").update(state=CircuitState.HALF_OPEN)

    assert scrape()["shop_provider_circuit_state"][labels(provider="sickprov")] == 1


def test_without_a_redis_broker_the_queue_depth_is_left_out(data, settings):
    settings.CELERY_BROKER_URL = "filesystem://"

    metrics = scrape()

    assert "shop_celery_queue_length" not in metrics
    assert metrics["shop_provider_circuit_state"][labels(provider="sickprov")] == 2
