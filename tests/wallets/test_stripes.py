"""The `sales` system account striped over several rows (wallets.stripes): each order's
money goes through the stripe its code picks, every ledger invariant holds per row, and the
account is the sum of its stripes wherever it is reported."""

from collections import defaultdict
from decimal import Decimal as D
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from tests.wallets.factories import UserFactory, fund
from wallets.models import BalanceMutation, SystemAccount, Transfer, Wallet
from wallets.selectors import ledger_check, system_account_balance
from wallets.services import (
    sales_wallet_for,
    wallet_debit_for_order,
    wallet_record_gateway_payment,
    wallet_refund_order,
)
from wallets.stripes import stripe_for

pytestmark = pytest.mark.django_db
CODES = [f"TRX-20261207-{n:06d}" for n in range(40)]


def order_like(user, code: str, price: str = "100"):
    return SimpleNamespace(code=code, price=D(price), currency="IDR", user=user, user_id=user.pk)


def sales_rows() -> dict[int, D]:
    return dict(
        Wallet.objects.filter(system_code=SystemAccount.SALES).values_list("stripe", "balance")
    )


def test_orders_spread_over_the_stripes_and_the_account_is_their_sum(settings):
    settings.LEDGER_SALES_STRIPES = 8
    buyer = UserFactory()
    fund(buyer, "100000")
    expected: dict[int, D] = defaultdict(D)

    for n, code in enumerate(CODES):
        wallet_debit_for_order(order=order_like(buyer, code, price=f"{100 + n}"))
        expected[stripe_for(SystemAccount.SALES, key=code)] += D(100 + n)

    assert len(expected) > 1  # 40 codes land on several of the 8 stripes
    assert sales_rows() == dict(expected)
    assert system_account_balance(SystemAccount.SALES) == sum(range(100, 140))
    report = ledger_check()
    assert report.ok, report.problems
    assert report.system_accounts[(SystemAccount.SALES, "IDR")] == (
        D(sum(range(100, 140))),
        len(expected),
    )


def test_every_transfer_still_sums_to_zero_and_every_stripe_chains(settings):
    settings.LEDGER_SALES_STRIPES = 4
    buyer = UserFactory()
    fund(buyer, "5000")
    for code in CODES[:12]:
        wallet_debit_for_order(order=order_like(buyer, code))

    for transfer in Transfer.objects.filter(reason="purchase"):
        assert sum(leg.amount for leg in transfer.legs.all()) == 0
    for wallet in Wallet.objects.filter(system_code=SystemAccount.SALES):
        legs = list(BalanceMutation.objects.filter(wallet=wallet).order_by("pk"))
        assert [leg.balance_before for leg in legs[1:]] == [leg.balance_after for leg in legs[:-1]]
        assert legs[-1].balance_after == wallet.balance == sum(leg.amount for leg in legs)


def test_an_orders_refund_and_gateway_payment_use_the_stripe_of_its_debit(settings):
    settings.LEDGER_SALES_STRIPES = 8
    buyer = UserFactory()
    wallet = fund(buyer, "1000")
    order = order_like(buyer, CODES[3], price="400")
    stripe = sales_wallet_for(order_code=order.code)

    debit = wallet_debit_for_order(order=order)
    refund = wallet_refund_order(order=order)
    payment = wallet_record_gateway_payment(order=order, amount=D("400"))

    for transfer in (debit, refund, payment):
        assert stripe.pk in {leg.wallet_id for leg in transfer.legs.all()}
    stripe.refresh_from_db()
    wallet.refresh_from_db()
    assert (stripe.balance, wallet.balance) == (D("400"), D("1000"))
    assert ledger_check().ok


def test_check_ledger_reports_the_striped_account_as_its_sum(settings):
    settings.LEDGER_SALES_STRIPES = 8
    buyer = UserFactory()
    fund(buyer, "10000")
    for code in CODES[:20]:
        wallet_debit_for_order(order=order_like(buyer, code))
    rows = len(sales_rows())

    out = StringIO()
    call_command("check_ledger", stdout=out)

    assert f"sales IDR: 2000.00 (sum of {rows} stripes)" in out.getvalue().splitlines()


def test_one_stripe_keeps_the_single_sales_row(settings):
    settings.LEDGER_SALES_STRIPES = 1
    buyer = UserFactory()
    fund(buyer, "1000")
    for code in CODES[:5]:
        wallet_debit_for_order(order=order_like(buyer, code))

    assert sales_rows() == {0: D("500")}


def test_a_user_wallet_cannot_be_striped():
    buyer = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.create(user=buyer, currency="USD", stripe=1)
