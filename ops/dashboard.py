"""The operations dashboard's reads, and its charts drawn on the server as SVG (no JS, no CDN)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalog.models import Provider, ProviderKind
from ops.models import ReconciliationRun
from orders.models import Order, OrderStatus
from providers.health import provider_health_all
from providers.models import CallOutcome, ProviderCall
from webhooks.models import DeliveryOutcome, WebhookDelivery

ZERO = Decimal("0")


@dataclass(frozen=True)
class Takings:
    orders: int
    sales: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.sales - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return (self.margin * 100 / self.sales).quantize(Decimal("0.1")) if self.sales else None


def _delivered(start: datetime, end: datetime):
    return Order.objects.filter(
        status=OrderStatus.SUCCESS, completed_at__gte=start, completed_at__lt=end
    )


def takings(start: datetime, end: datetime) -> Takings:
    """Orders delivered in [start, end): their count, sales (price) and cost."""
    totals = _delivered(start, end).aggregate(n=Count("pk"), sales=Sum("price"), cost=Sum("cost"))
    return Takings(totals["n"], totals["sales"] or ZERO, totals["cost"] or ZERO)


def daily_takings(start: datetime, end: datetime) -> list[tuple[str, Decimal, Decimal]]:
    """(day, sales, margin) for every local day in [start, end), zero days included."""
    rows = (
        _delivered(start, end)
        .annotate(day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(sales=Sum("price"), cost=Sum("cost"))
    )
    by_day = {row["day"]: (row["sales"], row["sales"] - row["cost"]) for row in rows}
    days, day = [], timezone.localdate(start)
    while day < timezone.localdate(end) or (day == timezone.localdate(end) and not days):
        sales, margin = by_day.get(day, (ZERO, ZERO))
        days.append((day.strftime("%m-%d"), sales, margin))
        day += timedelta(days=1)
    return days


def orders_by_state() -> list[tuple[str, int]]:
    counts = dict(Order.objects.values_list("status").annotate(n=Count("pk")))
    return [(label, counts.get(value, 0)) for value, label in OrderStatus.choices]


def overdue_orders(now: datetime, limit: int = 50):
    """Orders waiting past their deadline: processing past `deadline_at`, and unpaid past
    their payment expiry (the schedules should have moved both)."""
    return (
        Order.objects.filter(
            Q(status=OrderStatus.PROCESSING, deadline_at__lt=now)
            | Q(status=OrderStatus.PENDING_PAYMENT, payment_expires_at__lt=now)
        )
        .order_by("deadline_at", "payment_expires_at", "pk")
        .only("pk", "code", "status", "provider_code", "deadline_at", "payment_expires_at")[:limit]
    )


def provider_balances():
    return [
        {
            "provider": provider,
            "low": provider.last_balance is not None
            and provider.last_balance < provider.low_balance_threshold,
        }
        for provider in Provider.objects.filter(kind=ProviderKind.UPSTREAM).order_by("code")
    ]


def provider_health(now: datetime) -> list[dict]:
    """Per provider over the last hour: calls, errors (anything but a 2xx), error rate, mean
    and worst latency."""
    rows = (
        ProviderCall.objects.filter(created_at__gte=now - timedelta(hours=1))
        .values("provider")
        .annotate(
            calls=Count("pk"),
            errors=Count("pk", filter=~Q(outcome=CallOutcome.OK)),
            latency=Avg("latency_ms"),
            worst=Max("latency_ms"),
        )
        .order_by("provider")
    )
    return [
        {
            **row,
            "error_rate": round(100 * row["errors"] / row["calls"], 1) if row["calls"] else 0,
            "latency": round(row["latency"] or 0),
        }
        for row in rows
    ]


def webhook_problems(now: datetime) -> list[dict]:
    """Rejected and failed callbacks per source over the last 24 hours."""
    return list(
        WebhookDelivery.objects.filter(
            received_at__gte=now - timedelta(hours=24),
            outcome__in=(DeliveryOutcome.REJECTED, DeliveryOutcome.FAILED),
        )
        .values("source", "outcome")
        .annotate(n=Count("pk"))
        .order_by("source", "outcome")
    )


def dashboard_context(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    month_start = today - timedelta(days=29)
    daily = daily_takings(month_start, today + timedelta(days=1))
    states = orders_by_state()
    return {
        "now": now,
        "today": takings(today, now + timedelta(seconds=1)),
        "month": takings(month_start, now + timedelta(seconds=1)),
        "sales_chart": bar_chart([(d, s) for d, s, _ in daily], title="Sales per day, 30 days"),
        "margin_chart": bar_chart([(d, m) for d, _, m in daily], title="Margin per day, 30 days"),
        "states": states,
        "states_chart": bar_chart(states, title="Orders by state", label_every=1, height=160),
        "overdue": overdue_orders(now),
        "needs_review": Order.objects.filter(status=OrderStatus.NEEDS_REVIEW).count(),
        "guest_refunds_due": Order.objects.filter(
            status=OrderStatus.FAILED, user__isnull=True
        ).count(),
        "balances": provider_balances(),
        "health": provider_health(now),
        "provider_health": provider_health_all(now=now),
        "health_window_minutes": settings.PROVIDER_HEALTH_WINDOW_SECONDS // 60,
        "webhook_problems": webhook_problems(now),
        "reconciliation": ReconciliationRun.objects.filter(
            ok=False, created_at__gte=now - timedelta(days=7)
        )[:50],
    }


def bar_chart(
    series: list[tuple[str, Decimal | int]],
    *,
    title: str,
    width: int = 640,
    height: int = 180,
    label_every: int = 5,
) -> SafeString:
    """A bar chart as inline SVG; labels and values are escaped. Negative values (a negative
    margin) are drawn below the zero line in another colour."""
    pad_left, pad_bottom, pad_top = 8, 34, 16
    values = [Decimal(value) for _, value in series] or [ZERO]
    top = max(max(values), ZERO)
    bottom = min(min(values), ZERO)
    span = (top - bottom) or Decimal(1)
    plot_h = height - pad_bottom - pad_top
    zero_y = pad_top + float(top / span) * plot_h
    slot = (width - pad_left) / max(len(series), 1)
    bars = []
    for index, (label, value) in enumerate(series):
        value = Decimal(value)
        bar_h = float(abs(value) / span) * plot_h
        x = pad_left + index * slot + slot * 0.1
        y = zero_y - bar_h if value >= 0 else zero_y
        colour = "#417690" if value >= 0 else "#ba2121"
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                f"{x:.1f}",
                f"{y:.1f}",
                f"{slot * 0.8:.1f}",
                f"{bar_h:.1f}",
                colour,
                label,
                value,
            )
        )
        if index % label_every == 0:
            bars.append(
                format_html(
                    '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                    f"{x + slot * 0.4:.1f}",
                    height - pad_bottom + 14,
                    label,
                )
            )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{}" '
        'height="{}" viewBox="0 0 {} {}"><text x="{}" y="11" font-size="11">{} (max {})</text>'
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#999"/>{}</svg>',
        title,
        width,
        height,
        width,
        height,
        pad_left,
        title,
        top,
        pad_left,
        width,
        f"{zero_y:.1f}",
        f"{zero_y:.1f}",
        format_html_join("", "{}", ((bar,) for bar in bars)),
    )
