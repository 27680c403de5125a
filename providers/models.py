"""Provider call log, each provider's circuit breaker, and the state the simulators keep
(their own tables, not the shop's)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CallOutcome(models.TextChoices):
    OK = "ok", "OK (2xx)"
    HTTP_ERROR = "http_error", "HTTP error (4xx/5xx)"
    TIMEOUT = "timeout", "Timeout"
    CONNECTION_ERROR = "connection_error", "Connection error"


class ProviderCall(models.Model):
    """One outbound HTTP request to a provider or gateway (bodies with secrets redacted)."""

    provider = models.CharField(max_length=32, db_index=True)
    endpoint = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    url = models.CharField(max_length=500)
    request_id = models.CharField(max_length=64, db_index=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    # The call says the provider is broken (timeout, no connection, 5xx, or an answer its
    # adapter reads as a provider fault): what the circuit breaker and error rate count.
    provider_fault = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A provider's last failed calls (the dashboard's health panel): a small index.
            models.Index(
                fields=["provider", "-created_at"],
                condition=models.Q(provider_fault=True),
                name="providercall_recent_faults",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.method} {self.endpoint} → {self.http_status or self.outcome}"


class CircuitState(models.TextChoices):
    CLOSED = "closed", "Closed (orders go through)"
    HALF_OPEN = "half_open", "Half-open (one probe order)"
    OPEN = "open", "Open (no new orders)"


class ProviderCircuit(models.Model):
    """One provider's circuit breaker (providers/health.py), shared by every process: no row
    means closed with no failure counted."""

    provider = models.CharField(max_length=32, unique=True)
    state = models.CharField(
        max_length=16, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    state_since = models.DateTimeField(default=timezone.now)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Half-open: the one probe order let through is out until then (then another may go).
    probe_until = models.DateTimeField(null=True, blank=True)
    # Staff forced it open: it stays open (no probe) until staff close it.
    forced_open = models.BooleanField(default=False)
    # Staff were told the error rate crossed the threshold; reset once it is back under.
    error_rate_alerted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.state}"


class CircuitChange(models.Model):
    """An append-only trail of circuit transitions: automatic ones (no actor) and staff's."""

    provider = models.CharField(max_length=32, db_index=True)
    from_state = models.CharField(max_length=16, choices=CircuitState.choices)
    to_state = models.CharField(max_length=16, choices=CircuitState.choices)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.from_state} → {self.to_state}"


class SimulatedOrder(models.Model):
    """An order (or payment) as a simulator remembers it, keyed by the caller's reference."""

    provider = models.CharField(max_length=32)
    reference = models.CharField(max_length=100)
    external_id = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=32)
    request = models.JSONField(default=dict)
    state = models.JSONField(default=dict)
    # A pending order resolves to `final_status` at `resolve_at` and sends its callback.
    final_status = models.CharField(max_length=32, blank=True)
    resolve_at = models.DateTimeField(null=True, blank=True, db_index=True)
    callback_url = models.CharField(max_length=500, blank=True)
    callback_sent_at = models.DateTimeField(null=True, blank=True)
    status_checks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reference"], name="simulated_order_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"[sim {self.provider}] {self.reference} {self.status}"
