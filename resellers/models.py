"""The reseller API: keys, callback settings, the ref_id of each API order, and the callbacks
sent to resellers with every attempt."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ApiKey(models.Model):
    """A reseller's API key. Only its SHA-256 is stored; `prefix` (shown) identifies it.

    Keys carry 256 random bits, so a fast hash looked up by index is as safe as a slow one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    # CIDRs the key may be used from; empty = anywhere.
    allowed_networks = models.JSONField(default=list, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ResellerSettings(models.Model):
    """Where a reseller's callbacks go and the secret that signs them.

    After a rotation the previous secret also signs until `previous_secret_expires_at`.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reseller_settings"
    )
    callback_url = models.URLField(max_length=500, blank=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reseller settings"

    def __str__(self) -> str:
        return f"Settings of {self.user}"


class ApiOrder(models.Model):
    """An order placed over the API under the reseller's own `ref_id` (unique per reseller).

    `fingerprint` is the SHA-256 of the request, so a replay with another body is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ref_id = models.CharField(max_length=64)
    order = models.OneToOneField(
        "orders.Order", on_delete=models.PROTECT, related_name="api_order", null=True
    )
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "ref_id"], name="api_order_ref_unique"),
        ]
        verbose_name = "API order"

    def __str__(self) -> str:
        return f"{self.ref_id} → {self.order_id}"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (not retried)"
    GAVE_UP = "gave_up", "Gave up after 24 hours"


class CallbackDelivery(models.Model):
    """One event for one reseller (Standard Webhooks message). Retries keep `webhook_id`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="callback_deliveries"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="callback_deliveries"
    )
    webhook_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    # The retry window (24 hours) counts from here; a resend starts it again.
    window_started_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="callback_due",
                condition=Q(status="pending"),
            )
        ]
        verbose_name_plural = "callback deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class CallbackAttempt(models.Model):
    """One POST of a callback: when, where, what came back."""

    delivery = models.ForeignKey(
        CallbackDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=500)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    will_retry = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery}"
