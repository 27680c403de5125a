"""Hot system accounts striped over several wallet rows.

Every wallet order credits `sales` under the row locks of its transfer, so with one `sales`
row the shop's orders go through that lock one at a time: the lock-to-commit time (about
a millisecond on a quiet server, far more on a busy one; bench_api prints it) caps a shop
at its inverse in orders/s. Striped over `LEDGER_SALES_STRIPES` rows, each order locks the
stripe its code picks (`zlib.crc32`, the same stripe for its debit, gateway payment and
refund), and N orders can commit at once.

The account is still one account: its balance is the sum of its stripes
(`wallets.selectors.system_account_balances`, shown by `check_ledger`); each stripe is a
wallet with its own chain of legs, so every ledger invariant holds per row as before.
Changing the count later is safe: old orders' stripes may then differ from new orders'
for the same code, which moves nothing (sales may go below zero on one stripe; the sum is
what counts).
"""

import zlib

from django.conf import settings

from wallets.models import SystemAccount

STRIPED_ACCOUNTS = frozenset({SystemAccount.SALES})


def stripe_count(code: str) -> int:
    """How many rows the system account `code` is striped over (1: not striped)."""
    if code in STRIPED_ACCOUNTS:
        return max(1, settings.LEDGER_SALES_STRIPES)
    return 1


def stripe_for(code: str, *, key: str) -> int:
    """The stripe of `code` that the money keyed by `key` (an order's code) uses."""
    count = stripe_count(code)
    return zlib.crc32(key.encode()) % count if count > 1 else 0
