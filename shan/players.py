"""Who may be a Shan player: the one rule the launch, the balance update and the balance
query share.

A player is a shop user who launched the game through the shop: the launch records what the
provider knows of their balance (`ShanPlayerBalance`), so that row is the proof. Staff
accounts never play (their wallets are not game money), and a user named like a house-bank
code is not the house: the house bank (`SKP0101`) is the shop's system wallet, handled
apart by the callers.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from shan.models import ShanPlayerBalance

HOUSE_BANK_PLAYER = "SKP0101"
# The provider's house-bank member accounts; reserved as user names (compared ignoring case).
HOUSE_BANK_CODES = frozenset({HOUSE_BANK_PLAYER})


def shan_is_house_bank_code(name: str) -> bool:
    """Whether `name` is one of the provider's house-bank codes, in any letter case."""
    return name.strip().upper() in HOUSE_BANK_CODES


def shan_may_launch(user) -> bool:
    """Whether `user` may start a game: not staff, not named like the house bank."""
    return not (user.is_staff or user.is_superuser or shan_is_house_bank_code(user.get_username()))


def shan_players(*, names: Iterable[str]) -> dict:
    """{user name: user} for the names that are players: users who launched the game through
    the shop and still may play. Any other name is absent (the callers refuse it)."""
    candidates = {name for name in names if isinstance(name, str) and name}
    launched = (
        get_user_model()
        .objects.filter(username__in=candidates, is_staff=False, is_superuser=False)
        .filter(pk__in=ShanPlayerBalance.objects.values("user_id"))
    )
    return {
        user.get_username(): user
        for user in launched
        if not shan_is_house_bank_code(user.get_username())
    }
