"""Settling a Shan round: the balance update the provider sends after each round moves the
players' wallets, in one ledger transfer, by what each balance changed at the provider since
what it last knew (`ShanPlayerBalance`); a wager code settles once (`ShanSettlement`)."""

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction

from shan.known_balances import shan_player_balances_told
from shan.models import ShanPlayerBalance, ShanSettlement
from shan.players import HOUSE_BANK_PLAYER, shan_players
from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.notifications import notify
from wallets.models import SystemAccount, Transfer, TransferReason, Wallet
from wallets.services import system_wallet, wallet_for_user
from wallets.services.adjustments import BalancesMoved, balances_move


def shan_fingerprint(signed_string: str) -> str:
    return hashlib.sha256(signed_string.encode()).hexdigest()


def shan_apply_balance_update(*, data: dict, fingerprint: str) -> bool:
    """Settle one Shan round: each player's wallet moves by what its balance changed at the
    provider (`shan_settle_game_round`: the reported balance minus the one the provider
    last knew), the game clearing account takes the difference, all in one transfer (key
    `shan:<wager_code>`). SKP0101 is the house-bank system wallet; every other player must
    have launched the game through the shop (`shan.players.shan_players`). A
    loss bigger than a wallet still holds takes it to zero and staff are told of the rest.

    Returns True when settled now, False for an identical repeat (nothing changes).
    Raises ApplicationError `player_not_found` or `wager_conflict` (the same wager code
    with other content); either way nothing changes and staff are told.
    """
    try:
        return _shan_settle(data=data, fingerprint=fingerprint)
    except ApplicationError as exc:
        # Told after the rollback, so the notice stays. The provider does not send a
        # refused round again: without a person, its settlement would be lost.
        titles = {
            "wager_conflict": f"Shan wager {data['wager_code']} was sent again with different "
            "content",
            "player_not_found": f"Shan wager {data['wager_code']} names a player the shop "
            "does not have",
        }
        if exc.code in titles:
            notify(
                title=titles[exc.code],
                message=f"{exc.message} The delivery was refused and nothing changed, for any "
                "player of the round; check with the provider.",
                level=NotificationLevel.ERROR,
                data={"wager_code": data["wager_code"]},
            )
        raise


@transaction.atomic
def _shan_settle(*, data: dict, fingerprint: str) -> bool:
    wager_code = data["wager_code"]
    existing = ShanSettlement.objects.filter(wager_code=wager_code).first()
    if existing is not None:
        return _repeat_or_conflict(existing, fingerprint)
    players = shan_players(names=[player["player_id"] for player in data["players"]])
    reported = {}
    for player in data["players"]:
        reported[_player_wallet(player["player_id"], players)] = player["balance"]
    try:
        settled = shan_settle_game_round(
            reported=reported,
            counter_wallet=system_wallet(SystemAccount.GAME_CLEARING),
            reason=TransferReason.GAME_SETTLEMENT,
            reference=wager_code,
            idempotency_key=f"shan:{wager_code}",
        )
    except ApplicationError as exc:
        if exc.code == "idempotency_conflict":
            raise _conflict(wager_code) from None
        raise
    try:
        with transaction.atomic():
            ShanSettlement.objects.create(
                wager_code=wager_code,
                fingerprint=fingerprint,
                game_type_id=data["game_type_id"],
                transfer=settled.transfer,
                banker_balance=data["banker_balance"],
                provider_timestamp=data["timestamp"],
            )
    except IntegrityError:  # the same round raced in: the first one settled it
        return _repeat_or_conflict(ShanSettlement.objects.get(wager_code=wager_code), fingerprint)
    if settled.shortfalls:
        _tell_staff_of_shortfalls(wager_code, reported, settled.shortfalls)
    return True


def _tell_staff_of_shortfalls(wager_code: str, reported: dict, shortfalls: dict) -> None:
    """A player lost at the table money they had spent in the shop meanwhile."""
    names = {wallet.pk: str(wallet.user or wallet.system_code) for wallet in reported}
    lines = [
        f"{names[pk]}: {amount} more than the wallet held" for pk, amount in shortfalls.items()
    ]
    notify(
        title=f"Shan wager {wager_code}: a loss exceeded what a wallet still held",
        message="Each wallet was taken to zero; the rest was not collected.\n" + "\n".join(lines),
        level=NotificationLevel.ERROR,
        data={"wager_code": wager_code},
    )


def _player_wallet(player_id: str, players: dict):
    if player_id == HOUSE_BANK_PLAYER:
        return system_wallet(SystemAccount.SHAN_HOUSE_BANK)
    user = players.get(player_id)
    if user is None:  # never launched here, staff, or named like the house bank
        raise ApplicationError(
            f"Player {player_id} is not a player who launched Shan through the shop.",
            code="player_not_found",
        )
    return wallet_for_user(user=user)


def _repeat_or_conflict(existing: ShanSettlement, fingerprint: str) -> bool:
    if existing.fingerprint == fingerprint:
        return False
    raise _conflict(existing.wager_code)


def _conflict(wager_code: str) -> ApplicationError:
    return ApplicationError(
        f"Wager {wager_code} was already settled with different content.", code="wager_conflict"
    )


def shan_settle_game_round(
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
