"""Every change of a balance, by job: `ledger` (the one primitive, `wallet_transfer`, and
`wallet_move`), `order_money`, `deposits` and `adjustments` (staff corrections, absolute
balances; the shan app settles a round through its `balances_move`). The guarantees
every service keeps are in `ledger`.

The public names are importable from here, where the callers use them.
"""

from wallets.services.adjustments import (
    BalancesMoved,
    wallet_adjust,
    wallet_set_balance,
    wallet_set_balances,
)
from wallets.services.deposits import (
    deposit_apply_gateway_payment,
    deposit_create,
    deposit_credit,
    deposit_for_gateway_reference,
    deposit_gateway_reference,
    deposit_prune_rejected_proofs,
    deposit_reject,
    wallet_deposit,
)
from wallets.services.ledger import (
    Leg,
    sales_wallet_for,
    system_wallet,
    wallet_for_user,
    wallet_move,
    wallet_qs_for_update,
    wallet_transfer,
)
from wallets.services.order_money import (
    wallet_book_order_cost,
    wallet_debit_for_order,
    wallet_record_gateway_payment,
    wallet_refund_order,
)

__all__ = [
    "BalancesMoved",
    "Leg",
    "deposit_apply_gateway_payment",
    "deposit_create",
    "deposit_credit",
    "deposit_for_gateway_reference",
    "deposit_gateway_reference",
    "deposit_prune_rejected_proofs",
    "deposit_reject",
    "sales_wallet_for",
    "system_wallet",
    "wallet_adjust",
    "wallet_book_order_cost",
    "wallet_debit_for_order",
    "wallet_deposit",
    "wallet_for_user",
    "wallet_move",
    "wallet_qs_for_update",
    "wallet_record_gateway_payment",
    "wallet_refund_order",
    "wallet_set_balance",
    "wallet_set_balances",
    "wallet_transfer",
]
