"""The ledger's idempotency keys for an order's money, built in one place."""

from enum import StrEnum


class OrderTransferKind(StrEnum):
    DEBIT = "debit"  # the buyer's wallet pays for the order
    PAYMENT = "payment"  # the gateway's payment reaches sales
    REFUND = "refund"  # sales pays the buyer's wallet back
    REDEBIT = "redebit"  # delivered after a refund: the refund taken back
    COST = "cost"  # delivered: the delivering route's cost, from sales to provider_costs


def order_transfer_key(*, order_code: str, kind: OrderTransferKind) -> str:
    """`order:<code>:<kind>`: at most one transfer of each kind per order."""
    return f"order:{order_code}:{OrderTransferKind(kind)}"
