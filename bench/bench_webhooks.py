"""The Shan balance-update callback against a no-op DRF view, in the same run.

Each round names 10 players (9 shop users and the SKP0101 house bank) with new absolute
balances. Measured, each through the view called with a RequestFactory request (no URL
routing or middleware on either side):
- "new wager": N rounds with fresh wager codes (each settles: 11 wallets locked, one
  transfer with up to 11 legs, a ShanSettlement, a WebhookDelivery);
- "duplicate": the same N bodies again (each answered ALREADY_PROCESSED, nothing moves);
- "no-op": a DRF APIView defined here that only answers 200, fed the same bodies;
- "one ledger transfer": `wallet_move` of 1.00 from a funded user wallet to the game
  clearing account (two legs), called directly: the cost of the ledger's simplest move.
Runs alternate (no-op, new, no-op, duplicate, transfer) three times; medians are printed as
deliveries per second and as the ratio to the no-op, after every reply and the ledger are
proven, then the goals: a new round at most GOAL_ROUND_OVER_TRANSFER times one ledger
transfer's time, a duplicate at least GOAL_DUPLICATE_OF_NOOP of the no-op's rate.
"""

import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

N = 250
REPEATS = 3
NOOP_PASSES = 4  # the no-op is fast: more calls per run keep its timing steady
WARM_UP = 20
PLAYERS = 9  # plus SKP0101: 10 players per round
SECRET = "bench-shan-secret"
URL = "/api/shan/client/balance-update"
GOAL_ROUND_OVER_TRANSFER = 1.5
GOAL_DUPLICATE_OF_NOOP = 0.2


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_webhooks")

    from django.conf import settings
    from django.test import RequestFactory
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from providers.shan import signature
    from shan.known_balances import shan_player_balances_told
    from shan.models import ShanSettlement
    from shop.models import User
    from wallets.models import SystemAccount, TransferReason
    from wallets.selectors import ledger_check
    from wallets.services import system_wallet, wallet_adjust, wallet_for_user, wallet_move
    from webhooks.views import ShanBalanceUpdateView

    class NoOpView(APIView):
        """What any DRF endpoint costs: no auth, no parsing, a fixed reply."""

        authentication_classes: list = []
        permission_classes = [AllowAny]

        def post(self, request, *args, **kwargs):
            return Response({"status": "success", "code": "SUCCESS"})

    settings.SHAN_SECRET_KEY = SECRET
    settings.SHAN_TRANSACTION_KEY = ""
    players = [f"player{n}" for n in range(PLAYERS)]
    for username in players:
        # Launched through the shop, as every player the shop settles must be.
        shan_player_balances_told(balances={User.objects.create_user(username=username).pk: 0})

    def round_body(wager: int) -> bytes:
        balances = [
            (name, Decimal(1000 + (wager * 7 + n * 13) % 900)) for n, name in enumerate(players)
        ]
        payload = {
            "wager_code": f"bench-{wager}",
            "game_type_id": 15,
            "players": [
                *({"player_id": name, "balance": balance} for name, balance in balances),
                {"player_id": "SKP0101", "balance": Decimal(500000 + wager)},
            ],
            "banker_balance": Decimal(500000 + wager),
            "agent_balance": Decimal(500000 + wager),
            "timestamp": "2025-01-15T10:30:00+0000",
            "total_player_net": Decimal("0"),
            "banker_amount_change": Decimal("0"),
        }
        return signature.signed_body(SECRET, _as_sent(payload, signature.RawNumber))

    factory = RequestFactory()
    shan_view = ShanBalanceUpdateView.as_view()
    noop_view = NoOpView.as_view()

    def deliver(view: Callable, body: bytes) -> dict:
        request = factory.post(URL, data=body, content_type="application/json")
        response = view(request)
        response.render()
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.content[:200]!r}")
        return response.data

    def rate(view: Callable, bodies: list[bytes], expected_code: str) -> float:
        started = time.perf_counter()
        codes = [deliver(view, body)["code"] for body in bodies]
        seconds = time.perf_counter() - started
        if set(codes) != {expected_code}:
            raise RuntimeError(f"expected only {expected_code}, got {sorted(set(codes))}")
        return len(bodies) / seconds

    ledger_source = wallet_for_user(user=User.objects.create_user(username="ledger-bench"))
    wallet_adjust(wallet=ledger_source, amount=Decimal("1000000"), reason="benchmark funding")
    clearing = system_wallet(SystemAccount.GAME_CLEARING)
    transfers_made = [0]

    def transfer_rate(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            transfers_made[0] += 1
            wallet_move(
                source=ledger_source,
                target=clearing,
                amount=Decimal("1.00"),
                reason=TransferReason.ADJUSTMENT,
                reference="bench",
                idempotency_key=f"bench-transfer:{transfers_made[0]}",
            )
        return count / (time.perf_counter() - started)

    warm_up = [round_body(-n - 1) for n in range(WARM_UP)]
    transfer_rate(WARM_UP)
    rate(shan_view, warm_up, "SUCCESS")
    rate(noop_view, warm_up * NOOP_PASSES, "SUCCESS")

    new_rates, duplicate_rates, noop_rates, transfer_rates = [], [], [], []
    for repeat in range(REPEATS):  # alternated, so drift hits both sides alike
        bodies = [round_body(repeat * N + n) for n in range(N)]
        noop_rates.append(rate(noop_view, bodies * NOOP_PASSES, "SUCCESS"))
        new_rates.append(rate(shan_view, bodies, "SUCCESS"))
        noop_rates.append(rate(noop_view, bodies * NOOP_PASSES, "SUCCESS"))
        duplicate_rates.append(rate(shan_view, bodies, "ALREADY_PROCESSED"))
        transfer_rates.append(transfer_rate(N))
    noop = statistics.median(noop_rates)
    results = [
        ("new wager", statistics.median(new_rates)),
        ("duplicate", statistics.median(duplicate_rates)),
    ]

    settled = ShanSettlement.objects.count()
    report = ledger_check()
    if settled != REPEATS * N + WARM_UP or not report.ok:
        raise RuntimeError(f"{settled} settlements; ledger problems: {report.problems[:3]}")
    print(f"ledger check OK: {report}")
    print(
        f"Shan balance updates of {PLAYERS + 1} players each: median of {REPEATS} runs of "
        f"{N} per case; no-op DRF view on the same bodies, median of {2 * REPEATS} runs"
    )
    print(f"{'case':<12} {'deliveries/s':>13} {'no-op DRF/s':>12} {'ratio':>7} {'ms each':>8}")
    for name, ours in results:
        print(f"{name:<12} {ours:>13.0f} {noop:>12.0f} {ours / noop:>7.3f} {1000 / ours:>8.2f}")
    transfer = statistics.median(transfer_rates)
    print(
        f"one ledger transfer (wallet_move, 2 legs, median of {REPEATS} runs of {N}): "
        f"{transfer:.0f}/s, {1000 / transfer:.2f} ms each"
    )
    round_over_transfer = transfer / results[0][1]
    duplicate_of_noop = results[1][1] / noop
    print(
        f"goal: a new round <= {GOAL_ROUND_OVER_TRANSFER}x one ledger transfer: "
        f"{round_over_transfer:.2f}x "
        f"{_verdict(round_over_transfer <= GOAL_ROUND_OVER_TRANSFER)}"
    )
    print(
        f"goal: a duplicate >= {GOAL_DUPLICATE_OF_NOOP} of the no-op: {duplicate_of_noop:.3f} "
        f"{_verdict(duplicate_of_noop >= GOAL_DUPLICATE_OF_NOOP)}"
    )


def _verdict(met: bool) -> str:
    return "(met)" if met else "(missed)"


def _as_sent(value, raw_number):
    """Numbers as the provider's json_encode writes them (their exact text)."""
    if isinstance(value, dict):
        return {key: _as_sent(item, raw_number) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_sent(item, raw_number) for item in value]
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return raw_number(str(value))
    return value


if __name__ == "__main__":
    main()
