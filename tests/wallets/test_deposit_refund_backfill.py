"""The migration that replaced the note's sentence by `Deposit.refunded_at_gateway_at` marks
the deposits whose note carried it, and only those."""

import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps

import wallets.migrations
from tests.wallets.factories import UserFactory
from wallets.models import Deposit, DepositMethod
from wallets.services import deposit_create

pytestmark = pytest.mark.django_db

# Found by name: a merge may renumber it.
(MIGRATION_FILE,) = Path(wallets.migrations.__file__).parent.glob(
    "*_deposit_refunded_at_gateway_at.py"
)
migration = importlib.import_module(f"wallets.migrations.{MIGRATION_FILE.stem}")


def test_deposits_noted_as_refunded_at_the_gateway_get_the_field():
    user = UserFactory()
    refunded, other = (
        deposit_create(user=user, amount=Decimal("50000"), method=DepositMethod.GATEWAY)
        for _ in range(2)
    )
    Deposit.objects.filter(pk=refunded.pk).update(
        note="Paid twice.\nRefunded at the gateway after it was credited: check it."
    )
    Deposit.objects.filter(pk=other.pk).update(note="Refunded? Asked the customer.")

    migration.backfill_refunded_at_gateway_at(apps, None)

    refunded.refresh_from_db()
    other.refresh_from_db()
    assert refunded.refunded_at_gateway_at == refunded.updated_at
    assert other.refunded_at_gateway_at is None
