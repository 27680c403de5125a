"""Shan game rounds: a round settled in one transfer against the balances the provider last
knew of each player (`ShanPlayerBalance`)."""

from collections.abc import Mapping
from decimal import Decimal

from wallets.models import ShanPlayerBalance, Transfer, Wallet
from wallets.services.adjustments import BalancesMoved, balances_move


def wallet_settle_game_round(
    *,
    reported: Mapping[Wallet, Decimal],
    counter_wallet: Wallet,
    reason: str,
    reference: str,
    idempotency_key: str,
) -> BalancesMoved:
    """A Shan round in one transfer: each wallet moves by what its balance changed at the
    provider, the reported balance minus the one the provider last knew of that player
    (`ShanPlayerBalance`; for a wallet without one, such as the house bank, its own
    balance: it is set to the reported one). So a purchase or a deposit made while the
    round was played stands. A loss bigger than what a player's wallet still holds (spent
    meanwhile) takes it to zero and the rest is returned as a shortfall. The known
    balances become the reported ones; `counter_wallet` takes the difference.

    The legs are planned under the wallets' locks; the key's fingerprint is the reported
    balances, so a concurrent copy of the round gets the first transfer, and changes
    nothing, known balances included (a later round may have moved them on)."""
    players = {wallet.pk: wallet.user_id for wallet in reported if wallet.user_id is not None}

    def known_balances() -> dict[int, Decimal]:
        return dict(
            ShanPlayerBalance.objects.select_for_update()
            .filter(user_id__in=players.values())
            .values_list("user_id", "balance")
        )

    def record_known_balances(transfer: Transfer, balances: dict[int, Decimal]) -> None:
        shan_player_balances_told(
            balances={user_id: balances[pk] for pk, user_id in players.items()}
        )

    return balances_move(
        targets=reported,
        counter_wallet=counter_wallet,
        request_name="reported",
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        known_balances=known_balances,
        on_recorded=record_known_balances,
    )


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
