"""Shan test helpers."""

from shan.known_balances import shan_player_balances_told
from wallets.services import wallet_for_user


def mark_launched(user) -> None:
    """Record `user` as a player who launched Shan through the shop, with their wallet
    balance, as a launch that went through does (`shan_launch_game`)."""
    shan_player_balances_told(balances={user.pk: wallet_for_user(user=user).balance})
