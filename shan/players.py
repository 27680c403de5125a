"""Who may be a Shan player: the one rule the launch, the balance update and the balance
query share.

A player is a shop user who launched the game through the shop: the launch records what the
provider knows of their balance (`ShanPlayerBalance`), so that row is the proof. Staff
accounts never play (their wallets are not game money), and a user named like a house-bank
code is not the house: the house bank (`SKP0101`) is the shop's system wallet, handled
apart by the callers.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from shan.models import ShanPlayerBalance
from wallets.models import SystemAccount, Wallet

HOUSE_BANK_PLAYER = "SKP0101"
# The provider's house-bank member accounts; reserved as user names (compared ignoring case).
HOUSE_BANK_CODES = frozenset({HOUSE_BANK_PLAYER})


def shan_is_house_bank_code(name: str) -> bool:
    """Whether `name` is one of the provider's house-bank codes, in any letter case."""
    return name.strip().upper() in HOUSE_BANK_CODES


def shan_may_launch(user) -> bool:
    """Whether `user` may start a game: not staff, not named like the house bank."""
    return not (user.is_staff or user.is_superuser or shan_is_house_bank_code(user.get_username()))


def _launched_players(names: Iterable[str], *, via: str = "") -> Q:
    """Users named in `names` who launched the game through the shop and may play (the
    house-bank check is the callers', by name); `via` is the path to the user ("user__")."""
    candidates = {name for name in names if isinstance(name, str) and name}
    return Q(
        **{
            f"{via}username__in": candidates,
            f"{via}is_staff": False,
            f"{via}is_superuser": False,
            f"{via}pk__in": ShanPlayerBalance.objects.values("user_id"),
        }
    )


def shan_players(*, names: Iterable[str]) -> dict:
    """{user name: user} for the names that are players: users who launched the game through
    the shop and still may play. Any other name is absent (the callers refuse it)."""
    launched = get_user_model().objects.filter(_launched_players(names))
    return {
        user.get_username(): user
        for user in launched
        if not shan_is_house_bank_code(user.get_username())
    }


def shan_round_wallets(
    *, names: Iterable[str], system_codes: Iterable[str]
) -> tuple[dict[str, Wallet], dict[str, Wallet]]:
    """({player name: shop-currency wallet} of the names that are players, as
    `shan_players`; {system code: wallet} of `system_codes`), in one query. The wallets
    carry their ids, owner and system code only: the ledger locks and reads them itself. A
    player or system account without a wallet yet is absent (the caller creates it). Two
    maps: a user may be named like a system code."""
    systems = Q(system_code__in=[SystemAccount(code) for code in system_codes])
    rows = Wallet.objects.filter(
        _launched_players(names, via="user__") | systems, currency=settings.SHOP_CURRENCY
    ).values_list("pk", "user_id", "system_code", "user__username")
    players, system = {}, {}
    for pk, user_id, system_code, username in rows:
        wallet = Wallet(
            pk=pk, user_id=user_id, system_code=system_code, currency=settings.SHOP_CURRENCY
        )
        if user_id is None:
            system[system_code] = wallet
        elif not shan_is_house_bank_code(username):
            players[username] = wallet
    return players, system
