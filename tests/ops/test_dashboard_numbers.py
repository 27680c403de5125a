"""The dashboard's numbers from known data, at a fixed moment (15 March 2026, 14:00 in
Jakarta): what each panel counts, and what it leaves out at the edges of its window."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from catalog.models import ProviderKind
from orders.models import Order, OrderStatus
from providers.models import CallOutcome, ProviderCall
from tests.catalog.factories import ProviderFactory
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 3, 15, 14, 0, tzinfo=JAKARTA)
TODAY = datetime(2026, 3, 15, tzinfo=JAKARTA)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
codes = itertools.count()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def order(product, status: str, *, price="10500", cost="10000", **fields) -> Order:
    number = next(codes)
    return Order.objects.create(
        code=f"TRX-DASH-{number:04d}",
        access_token=f"dash-{number}",
        guest_email="dash@example.com",
        product=product,
        product_name=product.name,
        provider_code=product.provider.code,
        provider_sku=product.provider_sku,
        price_tier="retail",
        customer_no="12345678",
        price=Decimal(price),
        cost=Decimal(cost),
        currency="IDR",
        payment_method="gateway",
        status=status,
        **fields,
    )


def delivered(product, at: datetime, price: str, cost: str) -> Order:
    return order(product, OrderStatus.SUCCESS, price=price, cost=cost, completed_at=at)


def provider_call(provider: str, *, latency: int, ok: bool = True, ago=timedelta(minutes=5)):
    call = ProviderCall.objects.create(
        provider=provider,
        endpoint="transaction",
        method="POST",
        url="https://example.test/",
        request_id="r",
        http_status=200 if ok else 500,
        latency_ms=latency,
        outcome=CallOutcome.OK if ok else CallOutcome.HTTP_ERROR,
    )
    ProviderCall.objects.filter(pk=call.pk).update(created_at=NOW - ago)


def webhook(source: str, outcome: str, *, ago=HOUR) -> None:
    delivery = WebhookDelivery.objects.create(source=source, raw_body=b"{}", outcome=outcome)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=NOW - ago)


@pytest.fixture
def data(frozen, product):
    # Delivered today, yesterday just before midnight, in the 30 days, and before them.
    delivered(product, TODAY + 9 * HOUR, "10500", "10000")
    delivered(product, TODAY + 13 * HOUR, "21000", "20000")
    delivered(product, TODAY - timedelta(minutes=30), "8000", "7000")
    delivered(product, TODAY - 10 * DAY + 12 * HOUR, "5000", "4000")
    delivered(product, TODAY - 29 * DAY + HOUR, "3000", "3500")  # sold at a loss
    delivered(product, TODAY - 30 * DAY + 12 * HOUR, "99000", "1000")  # outside 30 days
    # Orders in other states; two wait past their deadline.
    late = order(product, OrderStatus.PROCESSING, deadline_at=NOW - timedelta(minutes=5))
    order(product, OrderStatus.PROCESSING, deadline_at=NOW + HOUR)
    unpaid = order(product, OrderStatus.PENDING_PAYMENT, payment_expires_at=NOW - HOUR)
    order(product, OrderStatus.PENDING_PAYMENT, payment_expires_at=NOW + HOUR)
    for _ in range(3):
        order(product, OrderStatus.NEEDS_REVIEW)
    order(product, OrderStatus.FAILED)  # a guest's: refund due
    # Provider balances against thresholds.
    ProviderFactory(code="lowbal", last_balance=Decimal("50"), low_balance_threshold=100)
    ProviderFactory(code="richbal", last_balance=Decimal("500"), low_balance_threshold=100)
    ProviderFactory(code="unread", last_balance=None, low_balance_threshold=100)
    ProviderFactory(code="gateway", kind=ProviderKind.GATEWAY, last_balance=Decimal("1"))
    # Provider calls: the last hour counts, earlier ones do not.
    provider_call("digiflazz", latency=100)
    provider_call("digiflazz", latency=200)
    provider_call("digiflazz", latency=900, ok=False)
    provider_call("digiflazz", latency=5000, ok=False, ago=2 * HOUR)
    provider_call("hubble", latency=50)
    # Callbacks: rejected or failed in the last 24 hours.
    webhook(WebhookSource.TRIPAY, DeliveryOutcome.REJECTED)
    webhook(WebhookSource.TRIPAY, DeliveryOutcome.REJECTED, ago=23 * HOUR)
    webhook(WebhookSource.TRIPAY, DeliveryOutcome.REJECTED, ago=25 * HOUR)
    webhook(WebhookSource.DIGIFLAZZ, DeliveryOutcome.FAILED)
    webhook(WebhookSource.DIGIFLAZZ, DeliveryOutcome.PROCESSED)
    return {"late": late, "unpaid": unpaid, "product": product}


def test_the_dashboard_panels_count_the_known_data(admin_group_client, data):
    response = admin_group_client.get(reverse("ops-dashboard"))
    context = response.context

    today, month = context["today"], context["month"]
    assert (today.orders, today.sales, today.cost) == (2, Decimal("31500"), Decimal("30000"))
    assert (today.margin, today.margin_percent) == (Decimal("1500"), Decimal("4.8"))
    assert (month.orders, month.sales, month.cost) == (5, Decimal("47500"), Decimal("44500"))
    assert month.margin == Decimal("3000")

    assert {str(label): count for label, count in context["states"]} == {
        "Bill shown": 0,
        "Pending payment": 2,
        "Paid": 0,
        "Processing": 2,
        "Success": 6,
        "Failed": 1,
        "Refunded": 0,
        "Needs review": 3,
        "Expired": 0,
        "Cancelled": 0,
    }
    assert [o.code for o in context["overdue"]] == [data["late"].code, data["unpaid"].code]
    assert context["needs_review"] == 3
    assert context["guest_refunds_due"] == 1

    assert [(row["provider"].code, row["low"]) for row in context["balances"]] == [
        ("lowbal", True),
        (data["product"].provider.code, False),  # the product's provider, never read
        ("richbal", False),
        ("unread", False),
    ]
    assert context["health"] == [
        {
            "provider": "digiflazz",
            "calls": 3,
            "errors": 1,
            "error_rate": 33.3,
            "latency": 400,
            "worst": 900,
        },
        {
            "provider": "hubble",
            "calls": 1,
            "errors": 0,
            "error_rate": 0,
            "latency": 50,
            "worst": 50,
        },
    ]
    assert context["webhook_problems"] == [
        {"source": "digiflazz", "outcome": "failed", "n": 1},
        {"source": "tripay", "outcome": "rejected", "n": 2},
    ]


def test_the_charts_draw_each_days_sales_and_margin(admin_group_client, data):
    html = admin_group_client.get(reverse("ops-dashboard")).content.decode()

    assert "<title>03-15: 31500.00</title>" in html  # today's sales
    assert "<title>03-14: 8000.00</title>" in html
    assert "<title>03-05: 5000.00</title>" in html
    assert "<title>02-14: -500.00</title>" in html  # the margin of the loss
    assert "02-13" not in html  # 30 days: 14 February to today
    assert '<td id="today-sales">Rp 31,500</td>' in html
    assert '<strong id="needs-review">3</strong>' in html
