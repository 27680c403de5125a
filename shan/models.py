"""What the shop keeps of the Shan game: the balance the provider last knew of each player
and each settled round. The tables keep their old `wallets_` names (the models moved here
from wallets without moving any data)."""

from django.conf import settings
from django.db import models

from shop.money import money_field
from wallets.models import Transfer


class ShanPlayerBalance(models.Model):
    """The balance the Shan provider last knew for a player: told at launch and in answers
    to its balance queries, reported by each settlement. A round moves the wallet by what
    it changed at the provider (reported minus this), so what the wallet did meanwhile, a
    purchase or a deposit, stands."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    balance = money_field()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "wallets_shanplayerbalance"

    def __str__(self) -> str:
        return f"{self.user} at Shan: {self.balance}"


class ShanSettlement(models.Model):
    """One settled Shan round: the wager code is unique, so a round settles once."""

    wager_code = models.CharField(max_length=100, unique=True)
    # sha256 of the signed string: the same wager with other content is a conflict.
    fingerprint = models.CharField(max_length=64)
    game_type_id = models.IntegerField(null=True, blank=True)
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    banker_balance = money_field(null=True, blank=True)
    provider_timestamp = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "wallets_shansettlement"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.wager_code
