"""python manage.py simulate_shan_round [--players a,b] [--bet 1000]: the Shan simulator plays
one round and sends its signed callback to the running shop (simulators only)."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from providers.shan.simulator import simulate_shan_round
from shan.models import ShanPlayerBalance
from shan.players import shan_players


class Command(BaseCommand):
    help = "Play one simulated Shan round and send the balance-update callback to the shop."

    def add_arguments(self, parser):
        parser.add_argument("--players", default="", help="user names, comma-separated")
        parser.add_argument("--bet", default="1000")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, players, bet, seed, **options):
        if not settings.SIMULATORS_ENABLED:
            raise CommandError("Simulators are off (SIMULATORS_ENABLED): no Shan round to play.")
        try:
            bet = Decimal(bet)
        except InvalidOperation:
            raise CommandError(f"Bet {bet!r} is not a number.") from None
        names = [name.strip() for name in players.split(",") if name.strip()]
        if not names:  # the first two players who launched Shan through the shop
            launched = list(
                ShanPlayerBalance.objects.order_by("user_id").values_list(
                    "user__username", flat=True
                )
            )
            playing = shan_players(names=launched)
            names = [name for name in launched if name in playing][:2]
        # The shop settles only players who launched the game through it.
        missing = set(names) - set(shan_players(names=names))
        if not names or missing:
            raise CommandError(
                "No such players (a player must have launched Shan from the wallet page): "
                f"{', '.join(sorted(missing)) or '(none given)'}."
            )
        result = simulate_shan_round(player_names=names, bet=bet, seed=seed)
        if result.status_code is None:
            raise CommandError(f"The shop did not answer: {result.reply}")
        self.stdout.write(f"Wager {result.wager_code}: HTTP {result.status_code} {result.reply}")
        if result.status_code != 200:
            raise CommandError(f"The shop refused the round (HTTP {result.status_code}).")
