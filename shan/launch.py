"""The Shan game provider from the shop's side: launching a game for a signed-in player.

A launch moves no money: it tells the provider the player's wallet balance (recorded as
what the provider knows, `ShanPlayerBalance`), and the provider later reports each round's
new balances to `/api/shan/client/balance-update`.
"""

from decimal import Decimal

from django.conf import settings

from providers.base import FinalProviderError, NotConfigured, ProviderError
from providers.config import provider_base_url
from providers.shan.client import CODE, ShanClient
from shan.known_balances import shan_player_balances_told
from shan.players import shan_may_launch
from wallets.models import Wallet

CALLBACK_PATH = "/api/shan/client/balance-update"
NOT_A_PLAYER = "This account cannot play Shan (staff and house-bank accounts never play)."


def shan_launch_available() -> bool:
    """Whether the wallet page offers "Play Shan": an agent code is set, or simulators are on."""
    return bool(settings.SHAN_AGENT_CODE) or settings.SIMULATORS_ENABLED


def shan_client_from_settings() -> ShanClient:
    """A client built from settings read now; NotConfigured says what is missing."""
    base_url = provider_base_url(
        code=CODE, configured=settings.SHAN_BASE_URL, production="", simulator_path=""
    )
    values = {"SHAN_BASE_URL": base_url, "SHAN_AGENT_CODE": settings.SHAN_AGENT_CODE}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise NotConfigured(
            f"shan is not configured: set {', '.join(missing)} in the environment.",
            code="not_configured",
        )
    return ShanClient(base_url=base_url, agent_code=settings.SHAN_AGENT_CODE)


def shan_launch_game(*, user, client: ShanClient | None = None) -> str:
    """Launch Shan for `user` with their wallet balance; return the game URL to send them to.

    Writes only the ProviderCall log row and, once the launch went through, the balance the
    provider now knows (a user with no wallet yet plays with 0). Raises ProviderError
    (NotConfigured, FinalProviderError, TransientProviderError) with a message fit to show
    the player; nothing else changes then. Staff (and a user named like the house bank)
    are refused before anything is sent: they are never players.
    """
    if not shan_may_launch(user):
        raise FinalProviderError(NOT_A_PLAYER, code="not_a_player")
    client = client or shan_client_from_settings()
    wallet = Wallet.objects.filter(user=user, currency=settings.SHOP_CURRENCY).first()
    balance = wallet.balance if wallet is not None else Decimal("0.00")
    nickname = (user.get_full_name() or user.get_username())[:100]
    url = client.launch_game(
        member_account=user.get_username(),
        balance=balance,
        nickname=nickname,
        callback_url=settings.SHAN_CALLBACK_BASE_URL.rstrip("/"),
    )
    # Only a launch that went through told the provider this balance.
    shan_player_balances_told(balances={user.pk: balance})
    return url


def shan_launch_error_message(exc: ProviderError) -> str:
    """What the player reads when a launch fails."""
    if isinstance(exc, NotConfigured):
        return "Shan is not available right now (the game provider is not configured)."
    if exc.code in ("timeout", "connection_error"):
        return "The Shan game provider did not answer. Please try again in a minute."
    return exc.message
