from django.contrib.auth.models import AbstractUser
from django.db import models


class UserRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    RESELLER = "reseller", "Reseller"


class PriceTier(models.TextChoices):
    RETAIL = "retail", "Retail"
    RESELLER = "reseller", "Reseller"


class User(AbstractUser):
    """A person who buys: customers pay through the gateway, resellers from their wallet."""

    role = models.CharField(max_length=16, choices=UserRole.choices, default=UserRole.CUSTOMER)
    price_tier = models.CharField(
        max_length=16, choices=PriceTier.choices, default=PriceTier.RETAIL
    )

    @property
    def is_reseller(self) -> bool:
        return self.role == UserRole.RESELLER


class Heartbeat(models.Model):
    """A periodic process's current run and that run's last sign of life (the beat: `beat`).

    A run is one start of the process: `run_id` names it, `started_at` is when it began and
    `stopped_at` when it stopped cleanly. `beat_at` is the run's last heartbeat (none yet
    just after the start). Only the latest run is kept: an earlier run's heartbeats no longer
    count, so /healthz describes the process running now.
    """

    name = models.CharField(max_length=32, unique=True)
    run_id = models.CharField(max_length=32, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} run {self.run_id or '-'}"


class NotificationLevel(models.TextChoices):
    INFO = "info", "Info"
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class Notification(models.Model):
    """An in-app message for one user, or for staff when `user` is empty."""

    user = models.ForeignKey(
        "shop.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    level = models.CharField(
        max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.INFO
    )
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
