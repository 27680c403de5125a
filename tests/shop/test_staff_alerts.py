"""Staff alerts reach the Telegram chats staff chose for their kind, one message per chat
per event, for every trigger: low provider balance, provider paused (out of balance),
order in review, reconciliation differences, large wallet adjustments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from ops.groups import FINANCE
from ops.models import ReconciliationKind, ReconciliationRun
from ops.reconciliation import notify_finance
from orders.services.transitions import order_flag_review
from providers.base import Balance
from providers.defaults import provider_ensure
from providers.services import provider_mark_out_of_balance, provider_record_balance
from shop.models import MessageChannel, MessageState, StaffAlertKind, StaffAlertRoute
from tests.orders.fixtures import make_user
from tests.shop.messaging_support import inbox, outbox
from wallets.services import wallet_adjust, wallet_for_user

pytestmark = pytest.mark.django_db(transaction=True)

CHATS = {
    StaffAlertKind.LOW_BALANCE: "-1002011",
    StaffAlertKind.PROVIDER_PAUSED: "-1002012",
    StaffAlertKind.ORDER_REVIEW: "-1002013",
    StaffAlertKind.RECONCILIATION: "-1002014",
    StaffAlertKind.LARGE_ADJUSTMENT: "-1002015",
}


@pytest.fixture(autouse=True)
def routes(simulators):
    for kind, chat in CHATS.items():
        StaffAlertRoute.objects.create(kind=kind, chat_id=chat, label=kind)


def chat_texts(kind: str) -> list[str]:
    """What the chat of `kind` received at the Telegram simulator."""
    return [message.text for message in inbox(MessageChannel.TELEGRAM, CHATS[kind])]


def sent_alerts() -> dict[str, list[str]]:
    alerts = {}
    for message in outbox(channel=MessageChannel.TELEGRAM):
        assert message.state == MessageState.SENT
        alerts.setdefault(message.alert_kind, []).append(message.recipient)
    return alerts


def test_low_provider_balance():
    provider = provider_ensure("digiflazz")
    provider.low_balance_threshold = Decimal("500000")
    provider.save()

    provider_record_balance(code="digiflazz", balance=Balance(Decimal("1000"), "IDR"))
    provider_record_balance(code="digiflazz", balance=Balance(Decimal("900"), "IDR"))  # same dip

    assert sent_alerts() == {StaffAlertKind.LOW_BALANCE: [CHATS[StaffAlertKind.LOW_BALANCE]]}
    (text,) = chat_texts(StaffAlertKind.LOW_BALANCE)
    assert text.startswith("Digiflazz balance is low: Rp")


def test_provider_paused_for_its_balance():
    provider_ensure("foxreload")

    provider_mark_out_of_balance(code="foxreload", message="Insufficient balance")
    provider_mark_out_of_balance(code="foxreload", message="Insufficient balance")

    assert sent_alerts() == {
        StaffAlertKind.PROVIDER_PAUSED: [CHATS[StaffAlertKind.PROVIDER_PAUSED]]
    }
    (text,) = chat_texts(StaffAlertKind.PROVIDER_PAUSED)
    assert "out of balance" in text
    assert "Insufficient balance" in text


def test_order_in_review(guest_order):
    order = order_flag_review(order=guest_order, message="The payment arrived twice.")

    assert sent_alerts() == {StaffAlertKind.ORDER_REVIEW: [CHATS[StaffAlertKind.ORDER_REVIEW]]}
    (text,) = chat_texts(StaffAlertKind.ORDER_REVIEW)
    assert text == f"Order {order.code} needs review\nThe payment arrived twice."


def test_reconciliation_differences_reach_the_chat_once_however_many_are_told():
    finance = Group.objects.get_or_create(name=FINANCE)[0]
    for name in ("fin-a", "fin-b"):
        make_user(name).groups.add(finance)
    now = timezone.now()
    run = ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code="digiflazz",
        window_start=now - timedelta(days=1),
        window_end=now,
        method="orders read back",
        difference=Decimal("15000"),
        ok=False,
        problems=[{"problem": "an order the provider does not know"}],
    )

    notify_finance([run])

    assert sent_alerts() == {StaffAlertKind.RECONCILIATION: [CHATS[StaffAlertKind.RECONCILIATION]]}
    (text,) = chat_texts(StaffAlertKind.RECONCILIATION)
    assert text.startswith("Reconciliation found 1 difference(s)")
    assert sorted(m.recipient for m in outbox(channel=MessageChannel.EMAIL)) == [
        "fin-a@example.com",
        "fin-b@example.com",
    ]


def test_large_wallet_adjustments_only(settings):
    settings.LARGE_ADJUSTMENT_ALERT = Decimal("1000000")
    wallet = wallet_for_user(user=make_user("buyer"))

    wallet_adjust(wallet=wallet, amount=Decimal("999999"), reason="small correction")
    wallet_adjust(wallet=wallet, amount=Decimal("1000000"), reason="goodwill")

    assert sent_alerts() == {
        StaffAlertKind.LARGE_ADJUSTMENT: [CHATS[StaffAlertKind.LARGE_ADJUSTMENT]]
    }
    (text,) = chat_texts(StaffAlertKind.LARGE_ADJUSTMENT)
    assert text == "Large wallet adjustment: Rp 1,000,000 on buyer (IDR)\nBy a command: goodwill"


def test_a_kind_without_a_chat_goes_to_no_chat():
    StaffAlertRoute.objects.filter(kind=StaffAlertKind.ORDER_REVIEW).update(active=False)
    provider_ensure("foxreload")

    provider_mark_out_of_balance(code="foxreload")

    assert list(sent_alerts()) == [StaffAlertKind.PROVIDER_PAUSED]
