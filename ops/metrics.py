"""Prometheus metrics, read at scrape time from the database and Redis (docs/operations.md
#monitoring).

One custom collector builds every family when /metrics is scraped, so gunicorn's and
Celery's many processes need no shared memory: the numbers live in PostgreSQL and Redis,
and any web process answers for all. Each query is a short window over an indexed column,
or a small set (open orders, providers, queues). Counts over a window are gauges (the
window slides); `*_total` counters are not offered, as the shop keeps no counter of its own.
"""

import logging
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.exposition import generate_latest

from orders.models import Order, OrderStatus
from providers.health import provider_health_all
from providers.models import CircuitState
from shop.ratelimit import redis_client
from wallets.models import Transfer
from webhooks.models import DeliveryOutcome, WebhookDelivery

logger = logging.getLogger(__name__)

# Circuit state as a number: alert on `shop_provider_circuit_state == 2`.
CIRCUIT_VALUES = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}
# Orders that are not finished: counted whatever their age.
OPEN_STATES = (
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.PROCESSING,
    OrderStatus.NEEDS_REVIEW,
)
# kombu's Redis transport keeps a queue's prioritised messages in lists beside its own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


class ShopCollector:
    """Every shop metric, computed on collect()."""

    def collect(self):
        now = timezone.now()
        start = now - timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
        yield from self._orders(start)
        yield from self._providers(now)
        yield from self._ledger(start)
        yield from self._webhooks(start)
        queues = self._queues()
        if queues is not None:
            yield queues

    def _orders(self, start):
        window = GaugeMetricFamily(
            "shop_orders",
            "Orders created in the metrics window, by current state and provider.",
            labels=["state", "provider"],
        )
        rows = (
            Order.objects.filter(status__in=OrderStatus.values, created_at__gte=start)
            .values_list("status", "provider_code")
            .annotate(n=Count("pk"))
        )
        for state, provider, n in rows:
            window.add_metric([state, provider], n)
        yield window
        open_orders = GaugeMetricFamily(
            "shop_orders_open",
            "Orders not finished (awaiting payment, paid, processing, in review), any age.",
            labels=["state", "provider"],
        )
        rows = (
            Order.objects.filter(status__in=OPEN_STATES)
            .values_list("status", "provider_code")
            .annotate(n=Count("pk"))
        )
        for state, provider, n in rows:
            open_orders.add_metric([state, provider], n)
        yield open_orders

    def _providers(self, now):
        calls = GaugeMetricFamily(
            "shop_provider_calls",
            "Provider calls in the health window.",
            labels=["provider"],
        )
        errors = GaugeMetricFamily(
            "shop_provider_call_errors",
            "Provider calls in the health window that said the provider is broken.",
            labels=["provider"],
        )
        error_ratio = GaugeMetricFamily(
            "shop_provider_error_ratio",
            "Failed provider calls over all calls in the health window (0-1).",
            labels=["provider"],
        )
        latency = GaugeMetricFamily(
            "shop_provider_call_latency_seconds",
            "Provider call latency percentiles over the health window.",
            labels=["provider", "quantile"],
        )
        circuit = GaugeMetricFamily(
            "shop_provider_circuit_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            labels=["provider"],
        )
        failures = GaugeMetricFamily(
            "shop_provider_consecutive_failures",
            "Failed calls in a row counted by the circuit breaker.",
            labels=["provider"],
        )
        balance = GaugeMetricFamily(
            "shop_provider_balance",
            "The provider balance last read, in its currency.",
            labels=["provider", "currency"],
        )
        for health in provider_health_all(now=now, recent_failures=0):
            code, window = health.code, health.window
            calls.add_metric([code], window.calls)
            errors.add_metric([code], window.failures)
            error_ratio.add_metric([code], float(window.error_rate) / 100)
            if window.calls:
                latency.add_metric([code, "0.5"], window.p50_ms / 1000)
                latency.add_metric([code, "0.95"], window.p95_ms / 1000)
            circuit.add_metric([code], CIRCUIT_VALUES[health.circuit_state])
            failures.add_metric([code], health.consecutive_failures)
            if health.balance is not None:
                balance.add_metric([code, health.currency], float(health.balance))
        yield from (calls, errors, error_ratio, latency, circuit, failures, balance)

    def _ledger(self, start):
        transfers = GaugeMetricFamily(
            "shop_ledger_transfers",
            "Ledger transfers in the metrics window, by reason.",
            labels=["reason"],
        )
        rows = (
            Transfer.objects.filter(created_at__gte=start)
            .order_by()
            .values_list("reason")
            .annotate(n=Count("pk"))
        )
        for reason, n in rows:
            transfers.add_metric([reason], n)
        yield transfers

    def _webhooks(self, start):
        rejects = GaugeMetricFamily(
            "shop_webhook_rejects",
            "Callbacks rejected (the caller's error) or failed (ours) in the metrics window, "
            "by source, outcome and the HTTP status answered.",
            labels=["source", "outcome", "status"],
        )
        rows = (
            WebhookDelivery.objects.filter(
                received_at__gte=start,
                outcome__in=(DeliveryOutcome.REJECTED, DeliveryOutcome.FAILED),
            )
            .order_by()
            .values_list("source", "outcome", "http_status")
            .annotate(n=Count("pk"))
        )
        for source, outcome, status, n in rows:
            rejects.add_metric([source, outcome, str(status or "")], n)
        yield rejects

    def _queues(self):
        """Messages waiting in each of `METRICS_CELERY_QUEUES` (a Redis broker only)."""
        broker = settings.CELERY_BROKER_URL
        if not broker.startswith(("redis://", "rediss://", "unix://")):
            return None
        depth = GaugeMetricFamily(
            "shop_celery_queue_length",
            "Messages waiting in a Celery queue (the broker's Redis lists).",
            labels=["queue"],
        )
        try:
            client = redis_client(broker)
            pipe = client.pipeline(transaction=False)
            for queue in settings.METRICS_CELERY_QUEUES:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(f"{queue}{suffix}")
            lengths = pipe.execute()
        except redis.RedisError as exc:
            logger.warning("queue depth not read, Redis failed: %s", exc)
            return None
        per_queue = len(_PRIORITY_SUFFIXES)
        for index, queue in enumerate(settings.METRICS_CELERY_QUEUES):
            depth.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
        return depth


def metrics_exposition() -> bytes:
    """The shop's metrics in Prometheus' text format, read now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ShopCollector())
    return generate_latest(registry)
