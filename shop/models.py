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
