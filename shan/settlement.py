"""Settling a Shan round: the balance update the provider sends after each round moves the
players' wallets, in one ledger transfer, by what each balance changed at the provider since
what it last knew (`ShanPlayerBalance`); a wager code settles once (`ShanSettlement`)."""

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from shan.known_balances import shan_player_balances_told
from shan.models import ShanPlayerBalance, ShanSettlement
from shan.players import HOUSE_BANK_PLAYER, shan_players, shan_round_wallets
from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.money import quantize
from shop.notifications import notify
from wallets.models import SystemAccount, Transfer, TransferReason, Wallet
from wallets.recording import WrittenWithTransfer
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
    names = [player["player_id"] for player in data["players"]]
    wallets, system = shan_round_wallets(names=names, system_codes=SYSTEM_ACCOUNTS)
    reported = {}
    for player in data["players"]:
        reported[_player_wallet(player["player_id"], wallets, system)] = player["balance"]
    counter = system.get(SystemAccount.GAME_CLEARING) or system_wallet(SystemAccount.GAME_CLEARING)
    try:
        settled = shan_settle_game_round(
            reported=reported,
            counter_wallet=counter,
            reason=TransferReason.GAME_SETTLEMENT,
            reference=wager_code,
            idempotency_key=f"shan:{wager_code}",
            settlement=ShanSettlement(
                wager_code=wager_code,
                fingerprint=fingerprint,
                game_type_id=data["game_type_id"],
                banker_balance=data["banker_balance"],
                provider_timestamp=data["timestamp"],
            ),
        )
    except ApplicationError as exc:
        if exc.code == "idempotency_conflict":
            raise _conflict(wager_code) from None
        raise
    if not settled.written:  # the round was settled before (or by a copy that raced in)
        return _repeat_or_conflict(ShanSettlement.objects.get(wager_code=wager_code), fingerprint)
    if settled.shortfalls:
        _tell_staff_of_shortfalls(wager_code, reported, settled.shortfalls)
    return True


SYSTEM_ACCOUNTS = (SystemAccount.SHAN_HOUSE_BANK, SystemAccount.GAME_CLEARING)


def shan_settled_fingerprint(wager_code: str) -> str | None:
    """The fingerprint of the settled round `wager_code`, None when it was not settled: one
    lookup by the unique index, for answering a repeated delivery at once (plain SQL: the
    ORM would build the same query each time)."""
    with connection.cursor() as cursor:
        cursor.execute(_SETTLED_FINGERPRINT, [wager_code])
        row = cursor.fetchone()
    return row[0] if row else None


_SETTLED_FINGERPRINT = (
    f"SELECT fingerprint FROM {ShanSettlement._meta.db_table} WHERE wager_code = %s"  # noqa: S608
)


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


def _player_wallet(player_id: str, wallets: dict[str, Wallet], system: dict[str, Wallet]) -> Wallet:
    if player_id == HOUSE_BANK_PLAYER:
        return system.get(SystemAccount.SHAN_HOUSE_BANK) or system_wallet(
            SystemAccount.SHAN_HOUSE_BANK
        )
    wallet = wallets.get(player_id)
    if wallet is not None:
        return wallet
    user = shan_players(names=[player_id]).get(player_id)  # a player without a wallet yet
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
    settlement: ShanSettlement | None = None,
) -> BalancesMoved:
    """A Shan round in one transfer: each wallet moves by what its balance changed at the
    provider, the reported balance minus the one the provider last knew of that player
    (`ShanPlayerBalance`; for a wallet without one, such as the house bank, its own
    balance: it is set to the reported one). So a purchase or a deposit made while the
    round was played stands. A loss bigger than what a player's wallet still holds (spent
    meanwhile) takes it to zero and the rest is returned as a shortfall. The known
    balances become the reported ones; `counter_wallet` takes the difference; `settlement`
    (unsaved, without its transfer) is saved with the transfer.

    The legs are planned under the wallets' locks (and the known balances' row locks). On
    PostgreSQL the transfer, its legs, the wallets' new balances, the known balances and
    the settlement are one statement (`WrittenWithTransfer`). The key's fingerprint is the
    reported balances, so a concurrent or late copy of the round gets the first transfer
    (`written` False) and changes nothing, known balances included (a later round may have
    moved them on)."""
    players = {wallet.pk: wallet.user_id for wallet in reported if wallet.user_id is not None}

    def known_balances() -> dict[int, Decimal]:
        return dict(
            ShanPlayerBalance.objects.select_for_update()
            .filter(user_id__in=players.values())
            .values_list("user_id", "balance")
        )

    told = {
        wallet.user_id: quantize(Decimal(balance))
        for wallet, balance in reported.items()
        if wallet.user_id is not None
    }

    written_with = [_known_balances_write(told)]
    if settlement is not None:
        written_with.append(_settlement_write(settlement))
    return balances_move(
        targets=reported,
        counter_wallet=counter_wallet,
        request_name="reported",
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        known_balances=known_balances,
        written_with=written_with,
    )


def _known_balances_write(told: dict[int, Decimal]) -> WrittenWithTransfer:
    """What the provider now knows of the players' balances, recorded with the transfer."""
    now = timezone.now()
    return WrittenWithTransfer(
        sql=f"""
    INSERT INTO {ShanPlayerBalance._meta.db_table} (user_id, balance, updated_at)
    SELECT known.user_id, known.balance, %s::timestamptz
      FROM unnest(%s::bigint[], %s::numeric[]) AS known (user_id, balance), transfer
    ON CONFLICT (user_id) DO UPDATE
       SET balance = EXCLUDED.balance, updated_at = EXCLUDED.updated_at""",  # noqa: S608
        params=[now, list(told), list(told.values())],
        orm=lambda _transfer: shan_player_balances_told(balances=told),
    )


def _settlement_write(settlement: ShanSettlement) -> WrittenWithTransfer:
    """The round's ShanSettlement row, pointing at the transfer it is written with."""

    def save(transfer: Transfer) -> None:
        settlement.transfer = transfer
        settlement.save()

    return WrittenWithTransfer(
        sql=f"""
    INSERT INTO {ShanSettlement._meta.db_table}
        (wager_code, fingerprint, game_type_id, transfer_id, banker_balance,
         provider_timestamp, created_at)
    SELECT %s::text, %s::text, %s::integer, transfer.id, %s::numeric, %s::text,
           %s::timestamptz
      FROM transfer""",  # noqa: S608
        params=[
            settlement.wager_code,
            settlement.fingerprint,
            settlement.game_type_id,
            settlement.banker_balance,
            settlement.provider_timestamp,
            timezone.now(),
        ],
        orm=save,
    )
