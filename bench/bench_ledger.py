"""wallet_move (the ledger) against a bare SQL balance update, on the same database.

Cases, N transfers of 1.00 IDR each to the sales account:
- one hot wallet, sequential;
- spread over 100 user wallets, sequential;
- one hot wallet, from 4 threads at once (each on its own connection).
The baseline does what the ledger replaces: `UPDATE wallets_wallet SET balance = balance -
%s` on the source and `+ %s` on the target, in one transaction per transfer, on the same
rows. The ledger cases run first and are proven with `ledger_check` before the baseline
(which writes no legs) touches the balances. Prints transfers/s and the ratio ledger/bare.
"""

import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

N = 2000
SPREAD = 100
THREADS = 4
WARM_UP = 50
AMOUNT = Decimal("1.00")
OPENING_BALANCE = Decimal("1000000")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_ledger")

    from django.db import connection, transaction

    from shop.models import User
    from wallets.models import SystemAccount, TransferReason
    from wallets.selectors import ledger_check
    from wallets.services import system_wallet, wallet_adjust, wallet_for_user, wallet_move

    def funded_wallet(username: str):
        wallet = wallet_for_user(user=User.objects.create(username=username))
        wallet_adjust(wallet=wallet, amount=OPENING_BALANCE, reason="benchmark funding")
        return wallet

    sales = system_wallet(SystemAccount.SALES)
    hot = funded_wallet("hot")
    spread = [funded_wallet(f"spread{n}") for n in range(SPREAD)]

    def ledger_transfer(case: str) -> Callable[[int, object], None]:
        def transfer(i: int, source) -> None:
            wallet_move(
                source=source,
                target=sales,
                amount=AMOUNT,
                reason=TransferReason.PURCHASE,
                reference="",
                idempotency_key=f"bench:{case}:{i}",
            )

        return transfer

    def bare_transfer(_i: int, source) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE wallets_wallet SET balance = balance - %s WHERE id = %s",
                [AMOUNT, source.pk],
            )
            cursor.execute(
                "UPDATE wallets_wallet SET balance = balance + %s WHERE id = %s",
                [AMOUNT, sales.pk],
            )

    cases = [
        ("hot wallet, sequential", lambda i: hot, 1),
        (f"{SPREAD} wallets, sequential", lambda i: spread[i % SPREAD], 1),
        (f"hot wallet, {THREADS} threads", lambda i: hot, THREADS),
    ]
    ledger_rates = []
    for name, source_of, threads in cases:
        transfer = ledger_transfer(name)
        run(transfer, source_of, count=WARM_UP, threads=1, first=N)  # keys after the timed ones
        ledger_rates.append(N / run(transfer, source_of, count=N, threads=threads))

    report = ledger_check()
    if not report.ok:
        raise SystemExit("ledger check failed:\n" + "\n".join(report.problems))
    hot.refresh_from_db()
    expected_hot = OPENING_BALANCE - (N + WARM_UP) * 2 * AMOUNT
    assert hot.balance == expected_hot, (hot.balance, expected_hot)
    checked = f"{report.transfers_checked} transfers, {report.wallets_checked} wallets"
    print(f"ledger check OK: {checked}")

    bare_rates = []
    for _name, source_of, threads in cases:
        run(bare_transfer, source_of, count=WARM_UP, threads=1)
        bare_rates.append(N / run(bare_transfer, source_of, count=N, threads=threads))

    print(f"{N} transfers of {AMOUNT} IDR to sales per case")
    print(f"{'case':<26} {'ledger tx/s':>12} {'bare SQL tx/s':>14} {'ratio':>7}")
    for (name, _, _), ledger_rate, bare_rate in zip(cases, ledger_rates, bare_rates, strict=True):
        print(f"{name:<26} {ledger_rate:>12.0f} {bare_rate:>14.0f} {ledger_rate / bare_rate:>7.2f}")


def run(transfer, source_of, *, count: int, threads: int, first: int = 0) -> float:
    """Seconds to run `transfer(i, source_of(i))` for i in first..first+count, split over
    `threads` threads (each with its own database connection) that start together."""
    from django.db import connection

    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def work(indexes: range) -> None:
        try:
            start.wait()
            for i in indexes:
                transfer(i, source_of(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            if threads > 1:
                connection.close()

    if threads == 1:
        began = time.perf_counter()
        for i in range(first, first + count):
            transfer(i, source_of(i))
        return time.perf_counter() - began

    workers = [
        threading.Thread(target=work, args=(range(first + k, first + count, threads),))
        for k in range(threads)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


if __name__ == "__main__":
    main()
