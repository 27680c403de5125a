"""The Shan tables in the staff admin: read-only, as the ledger they explain."""

from django.contrib import admin

from shan.models import ShanPlayerBalance, ShanSettlement
from shop.admin_mixins import ReadOnlyAdmin


@admin.register(ShanPlayerBalance)
class ShanPlayerBalanceAdmin(ReadOnlyAdmin):
    """What the Shan provider last knew of each player's balance: the next round moves the
    player's wallet by what it reports minus this."""

    list_display = ("user", "balance", "updated_at")
    list_filter = ("updated_at",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    date_hierarchy = "updated_at"


@admin.register(ShanSettlement)
class ShanSettlementAdmin(ReadOnlyAdmin):
    """Settled Shan rounds (one per wager code), each with its ledger transfer."""

    list_display = (
        "wager_code",
        "game_type_id",
        "banker_balance",
        "transfer",
        "provider_timestamp",
        "created_at",
    )
    list_filter = ("game_type_id",)
    list_select_related = ("transfer",)
    search_fields = ("wager_code", "transfer__idempotency_key")
    date_hierarchy = "created_at"
