from decimal import Decimal

import pytest

from catalog.models import InputSchema
from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from shop.models import PriceTier, User, UserRole
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory
from wallets.services import wallet_adjust, wallet_for_user

PRICE = Decimal("10500.00")  # cost 10,000 + 5% retail
RESELLER_PRICE = Decimal("10200.00")  # cost 10,000 + 2% reseller
GAME_INPUT = {"user_id": "12345678"}


def make_user(username: str, *, reseller: bool = False) -> User:
    return User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        role=UserRole.RESELLER if reseller else UserRole.CUSTOMER,
        price_tier=PriceTier.RESELLER if reseller else PriceTier.RETAIL,
    )


def fund(user: User, amount: Decimal) -> None:
    wallet_adjust(wallet=wallet_for_user(user=user), amount=amount, reason="test funding")


def balance_of(user: User) -> Decimal:
    return wallet_for_user(user=user).balance


@pytest.fixture
def product(db):
    product = ProductFactory(brand=BrandFactory(input_schema=InputSchema.GAME))
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    return product


@pytest.fixture
def reseller(db):
    return make_user("reseller", reseller=True)


@pytest.fixture
def customer(db):
    return make_user("customer")


@pytest.fixture
def balance_order(product, reseller):
    fund(reseller, Decimal("50000"))
    return order_create(
        purchase=Purchase(
            product=product,
            user=reseller,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.BALANCE,
        )
    )


@pytest.fixture
def guest_order(product):
    return order_create(
        purchase=Purchase(
            product=product,
            guest_email="guest@example.com",
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
        )
    )


@pytest.fixture
def placement_deferred(monkeypatch):
    """Paid orders are sent to the real broker instead of being placed in this process:
    for tests of payment and refunds that must not reach a provider. Outbox messages are
    still sent here, at once: the tests read them (mail.outbox, the simulators)."""
    from shop.celery import app
    from shop.tasks import outbound_message_send

    def send_here(args=None, kwargs=None, **options):
        return outbound_message_send.apply(args, kwargs)

    monkeypatch.setattr(outbound_message_send, "apply_async", send_here)
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True
