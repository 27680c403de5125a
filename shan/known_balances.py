"""What the Shan provider knows of each player's balance (`ShanPlayerBalance`): recorded
whenever the shop tells it one (launch, balance query) or a settlement reports one."""

from collections.abc import Mapping
from decimal import Decimal

from shan.models import ShanPlayerBalance


def shan_player_balances_told(*, balances: Mapping[int, Decimal]) -> None:
    """Record what the Shan provider now knows of players' balances ({user id: balance}):
    what a launch or a balance query told it, or what a settlement reported."""
    ShanPlayerBalance.objects.bulk_create(
        [
            ShanPlayerBalance(user_id=user_id, balance=balance)
            for user_id, balance in balances.items()
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["balance", "updated_at"],
    )
