"""The Shan models moved from wallets to the shan app without moving data: a row written
while wallets owned the table is the shan app's row after the (state-only) migrations."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shan.models import ShanPlayerBalance, ShanSettlement
from shop.models import User

LAST_WALLETS_OWNED_THEM = ("wallets", "0008_deposit_refunded_at_gateway_at")
BEFORE_THE_MOVE = [LAST_WALLETS_OWNED_THEM, ("shan", None)]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_row_from_before_the_move_is_read_through_the_shan_app():
    player = User.objects.create_user(username="player")
    _migrate(BEFORE_THE_MOVE)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state(LAST_WALLETS_OWNED_THEM).apps
        old_apps.get_model("wallets", "ShanPlayerBalance").objects.create(
            user_id=player.pk, balance=Decimal("1234.50")
        )
    finally:
        _migrate(_latest())

    assert ShanPlayerBalance._meta.db_table == "wallets_shanplayerbalance"
    assert ShanSettlement._meta.db_table == "wallets_shansettlement"
    assert ShanPlayerBalance.objects.get(user=player).balance == Decimal("1234.50")
