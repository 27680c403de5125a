"""Every inbound callback as it arrived, stored before anything else is decided."""

from django.db import models


class WebhookSource(models.TextChoices):
    SHAN = "shan", "Shan balance update"
    HUBBLE_BRAND = "hubble_brand", "Hubble brand updated"
    HUBBLE_LOW_BALANCE = "hubble_low_balance", "Hubble low balance"
    HUBBLE_ORDER = "hubble_order", "Hubble order status"
    DIGIFLAZZ = "digiflazz", "Digiflazz transaction"
    TRIPAY = "tripay", "Tripay payment status"
    VIPRESELLER = "vipreseller", "VIP Reseller transaction"


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received", "Received (not yet handled)"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate (nothing changed)"
    UNMATCHED = "unmatched", "Acknowledged, no matching record"
    # A payment report under another gateway reference than the one stored: nothing applied.
    WRONG_REFERENCE = "wrong_reference", "Acknowledged, another payment reference: not applied"
    REJECTED = "rejected", "Rejected (caller's error)"
    FAILED = "failed", "Failed on our side"


class WebhookDelivery(models.Model):
    source = models.CharField(max_length=32, choices=WebhookSource.choices, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    # Whole once the signature verifies; until then (and for good when it does not) only the
    # first KiB: anyone can post here, and it must not fill the disk.
    raw_body = models.BinaryField()
    body_size = models.PositiveIntegerField(default=0)
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the whole body; empty if not read whole."
    )
    signature_valid = models.BooleanField(null=True)
    outcome = models.CharField(
        max_length=16, choices=DeliveryOutcome.choices, default=DeliveryOutcome.RECEIVED
    )
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_deliveries",
    )
    wager_code = models.CharField(max_length=100, blank=True, db_index=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk} ({self.outcome})"

    @property
    def body_text(self) -> str:
        return bytes(self.raw_body).decode("utf-8", errors="replace")
