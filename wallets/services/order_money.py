"""An order's money: the buyer's wallet pays, the gateway's payment reaches sales, a refund
goes back to the buyer, and a delivered order's cost (the route that delivered it) moves
from sales to `provider_costs`. Each once per order, by the key `order:<code>:<kind>`."""

from decimal import Decimal
from functools import partial

from django.db.models import Sum

from shop.errors import ApplicationError
from shop.precompiled import PrecompiledSelect
from wallets.models import BalanceMutation, SystemAccount, Transfer, TransferReason, Wallet
from wallets.services.ledger import (
    Leg,
    positive_amount,
    sales_wallet_for,
    system_wallet,
    transfer_apply,
    wallet_for_user,
    wallet_for_user_id,
    wallet_move,
    wallet_transfer,
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


def wallet_debit_for_order(
    *, order, actor=None, new_order: bool = False, discount: Decimal = Decimal("0")
) -> Transfer:
    """The buyer's wallet pays `order.price` to sales (key `order:<code>:debit`), to the
    `sales` stripe of the order's code (`wallets.stripes`): the `wallet_move` between them,
    with both wallets found and locked by one query.

    `discount` (a promotion's, > 0): the transfer has a third leg, the `promotions` account
    paying the discount, so sales is credited the list price (`order.price + discount`).

    `new_order`: the order was inserted in the caller's open transaction, so its key is
    free; the debit takes no savepoint of its own and a refusal rolls the whole
    transaction back (`transfer_apply`'s `savepoint=False`)."""
    price = positive_amount(order.price)
    if discount:
        return _debit_with_discount(
            order=order,
            price=price,
            discount=positive_amount(discount),
            actor=actor,
            new_order=new_order,
        )

    def plan_legs(wallets: dict[int, Wallet]) -> list[tuple[int, Decimal]]:
        buyer = next(pk for pk, wallet in wallets.items() if wallet.user_id == order.user_id)
        sales = next(pk for pk, wallet in wallets.items() if wallet.pk != buyer)
        return [(buyer, -price), (sales, price)]

    return _order_debit(
        order=order,
        lock_wallets=partial(
            _lock_buyer_and_system,
            user_id=order.user_id,
            code=SystemAccount.SALES,
            stripe=stripe_for(SystemAccount.SALES, key=order.code),
            currency=order.currency,
        ),
        plan_legs=plan_legs,
        actor=actor,
        new_order=new_order,
    )


def _order_debit(*, order, lock_wallets, plan_legs, actor, new_order: bool) -> Transfer:
    """The order's debit transfer (key `order:<code>:debit`) with the given legs."""
    return transfer_apply(
        lock_wallets=lock_wallets,
        plan_legs=plan_legs,
        request=None,
        reason=TransferReason.PURCHASE,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.DEBIT),
        actor=actor,
        savepoint=not new_order,
    )


def _debit_with_discount(
    *, order, price: Decimal, discount: Decimal, actor, new_order: bool
) -> Transfer:
    """`wallet_debit_for_order` with a promotion: buyer -price, promotions -discount, sales
    +(price + discount), the three wallets locked in primary-key order."""
    buyer = wallet_for_user_id(user_id=order.user_id, currency=order.currency)
    sales = sales_wallet_for(order_code=order.code, currency=order.currency)
    promotions = system_wallet(SystemAccount.PROMOTIONS, currency=order.currency)
    return _order_debit(
        order=order,
        lock_wallets=partial(wallets_lock, [buyer.pk, sales.pk, promotions.pk]),
        plan_legs=lambda _wallets: [
            (buyer.pk, -price),
            (promotions.pk, -discount),
            (sales.pk, price + discount),
        ],
        actor=actor,
        new_order=new_order,
    )


def wallet_record_gateway_payment(
    *, order, amount: Decimal, discount: Decimal = Decimal("0")
) -> Transfer:
    """Money the gateway collected for an order reaches sales (key `order:<code>:payment`).
    With a promotion's `discount` (> 0) the `promotions` account pays it too, so sales is
    credited `amount + discount`."""
    if discount:
        return wallet_transfer(
            legs=[
                Leg(
                    system_wallet(SystemAccount.GATEWAY_CLEARING, currency=order.currency),
                    -positive_amount(amount),
                ),
                Leg(
                    system_wallet(SystemAccount.PROMOTIONS, currency=order.currency),
                    -positive_amount(discount),
                ),
                Leg(
                    sales_wallet_for(order_code=order.code, currency=order.currency),
                    Decimal(amount) + Decimal(discount),
                ),
            ],
            reason=TransferReason.PAYMENT,
            reference=order.code,
            idempotency_key=order_transfer_key(
                order_code=order.code, kind=OrderTransferKind.PAYMENT
            ),
        )
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
    order (key `order:<code>:refund`). When the order's payment had a promotion's leg
    (`order_promotion_discount`), sales pays that discount back to `promotions` in the
    same transfer: a refunded promotion costs nothing and sales keeps nothing of it."""
    discount = order_promotion_discount(order_code=order.code)
    if discount:
        refund = order.price if amount is None else positive_amount(amount)
        return wallet_transfer(
            legs=[
                Leg(
                    sales_wallet_for(order_code=order.code, currency=order.currency),
                    -(refund + discount),
                ),
                Leg(wallet_for_user(user=order.user, currency=order.currency), refund),
                Leg(system_wallet(SystemAccount.PROMOTIONS, currency=order.currency), discount),
            ],
            reason=TransferReason.REFUND,
            reference=order.code,
            idempotency_key=order_transfer_key(
                order_code=order.code, kind=OrderTransferKind.REFUND
            ),
            actor=actor,
            memo=memo,
        )
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


def order_promotion_discount(*, order_code: str) -> Decimal:
    """The discount the `promotions` account paid into order `order_code`'s debit or
    gateway payment (0 when none): what its refund gives back to `promotions`."""
    paid = BalanceMutation.objects.filter(
        transfer__idempotency_key__in=(
            order_transfer_key(order_code=order_code, kind=OrderTransferKind.DEBIT),
            order_transfer_key(order_code=order_code, kind=OrderTransferKind.PAYMENT),
        ),
        wallet__system_code=SystemAccount.PROMOTIONS,
    ).aggregate(total=Sum("amount"))["total"]
    return -(paid or Decimal("0"))


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
