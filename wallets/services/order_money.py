"""An order's money: the buyer's wallet pays, the gateway's payment reaches sales, a refund
goes back to the buyer, and a delivered order's cost (the route that delivered it) moves
from sales to `provider_costs`. Each once per order, by the key `order:<code>:<kind>`."""

from decimal import Decimal
from functools import partial

from shop.errors import ApplicationError
from shop.precompiled import PrecompiledSelect
from wallets.models import SystemAccount, Transfer, TransferReason, Wallet
from wallets.services.ledger import (
    positive_amount,
    sales_wallet_for,
    system_wallet,
    transfer_apply,
    wallet_for_user,
    wallet_for_user_id,
    wallet_move,
    wallets_lock,
)
from wallets.stripes import stripe_for
from wallets.transfer_keys import OrderTransferKind, order_transfer_key

# Written once (shop.precompiled): every order runs it while other orders wait on its
# `sales` stripe.
_BUYER_AND_SYSTEM_FOR_UPDATE = PrecompiledSelect(
    Wallet,
    where="(t.user_id = %s OR (t.system_code = %s AND t.stripe = %s)) AND t.currency = %s",
    order_by="t.id",
    for_update=True,
)


def _lock_buyer_and_system(
    *, user_id: int, code: str, stripe: int, currency: str
) -> dict[int, Wallet]:
    """A user's wallet and a system account's row `stripe`, both in `currency`, locked by
    one query (in primary-key order, as everywhere). Either is created first if it does not
    exist yet (the first order ever in a currency or on a stripe: the only time the two may
    lock out of key order)."""
    if user_id is None:  # `user_id IS NULL` would match the system accounts instead
        raise ApplicationError("A guest's order has no wallet to pay from.", code="no_wallet")
    found = _BUYER_AND_SYSTEM_FOR_UPDATE.fetch([user_id, code, stripe, currency])
    wallets = {wallet.pk: wallet for wallet in found}
    if len(wallets) == 2:
        return wallets
    buyer = wallet_for_user_id(user_id=user_id, currency=currency)
    system = system_wallet(code, currency=currency, stripe=stripe)
    return wallets_lock([buyer.pk, system.pk])


def wallet_debit_for_order(*, order, actor=None, new_order: bool = False) -> Transfer:
    """The buyer's wallet pays `order.price` to sales (key `order:<code>:debit`), to the
    `sales` stripe of the order's code (`wallets.stripes`): the `wallet_move` between them,
    with both wallets found and locked by one query.

    `new_order`: the order was inserted in the caller's open transaction, so its key is
    free; the debit takes no savepoint of its own and a refusal rolls the whole
    transaction back (`transfer_apply`'s `savepoint=False`)."""
    price = positive_amount(order.price)

    def plan_legs(wallets: dict[int, Wallet]) -> list[tuple[int, Decimal]]:
        buyer = next(pk for pk, wallet in wallets.items() if wallet.user_id == order.user_id)
        sales = next(pk for pk, wallet in wallets.items() if wallet.pk != buyer)
        return [(buyer, -price), (sales, price)]

    return transfer_apply(
        lock_wallets=partial(
            _lock_buyer_and_system,
            user_id=order.user_id,
            code=SystemAccount.SALES,
            stripe=stripe_for(SystemAccount.SALES, key=order.code),
            currency=order.currency,
        ),
        plan_legs=plan_legs,
        request=None,
        reason=TransferReason.PURCHASE,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.DEBIT),
        actor=actor,
        savepoint=not new_order,
    )


def wallet_record_gateway_payment(*, order, amount: Decimal) -> Transfer:
    """Money the gateway collected for an order reaches sales (key `order:<code>:payment`)."""
    return wallet_move(
        source=system_wallet(SystemAccount.GATEWAY_CLEARING, currency=order.currency),
        target=sales_wallet_for(order_code=order.code, currency=order.currency),
        amount=amount,
        reason=TransferReason.PAYMENT,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.PAYMENT),
    )


def wallet_refund_order(
    *, order, actor=None, memo: str = "", amount: Decimal | None = None
) -> Transfer:
    """Sales pays `amount` (default `order.price`) back to the buyer's wallet, once per
    order (key `order:<code>:refund`)."""
    return wallet_move(
        source=sales_wallet_for(order_code=order.code, currency=order.currency),
        target=wallet_for_user(user=order.user, currency=order.currency),
        amount=order.price if amount is None else amount,
        reason=TransferReason.REFUND,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.REFUND),
        actor=actor,
        memo=memo,
    )


def wallet_book_order_cost(
    *, order, cost: Decimal, reference: str, memo: str = "", actor=None
) -> Transfer | None:
    """Book what the route that delivered `order` cost: `cost` moves from the order's
    `sales` stripe to the `provider_costs` account, once per order (key
    `order:<code>:cost`; a second call returns the first transfer, whatever route it names).
    `reference` names the delivering attempt (its provider reference and provider). A zero
    cost books nothing (None)."""
    key = order_transfer_key(order_code=order.code, kind=OrderTransferKind.COST)
    booked = Transfer.objects.filter(idempotency_key=key).first()
    if booked is not None or cost == 0:
        return booked
    return wallet_move(
        source=sales_wallet_for(order_code=order.code, currency=order.currency),
        target=system_wallet(SystemAccount.PROVIDER_COSTS, currency=order.currency),
        amount=cost,
        reason=TransferReason.PROVIDER_COST,
        reference=reference,
        idempotency_key=key,
        actor=actor,
        memo=memo,
    )
