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
    """The last time a periodic process proved it is alive (the beat writes `beat`)."""

    name = models.CharField(max_length=32, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


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
