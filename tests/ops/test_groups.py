import pytest
from django.contrib.auth.models import Group, Permission

from tests.ops.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_the_migration_creates_the_three_staff_groups_with_their_rights():
    support = make_staff("s", "support")
    finance = make_staff("f", "finance")
    admin = make_staff("a", "admin")

    assert support.has_perm("ops.manage_orders")
    assert support.has_perm("orders.view_order")
    for money in ("ops.adjust_wallet", "ops.refund_orders", "ops.decide_deposit"):
        assert not support.has_perm(money)
        assert finance.has_perm(money)
    assert not finance.has_perm("ops.reapply_webhook")
    assert Group.objects.get(name="admin").permissions.count() == Permission.objects.count()
    assert admin.has_perm("ops.reapply_webhook")
    assert admin.has_perm("ops.reveal_voucher")
