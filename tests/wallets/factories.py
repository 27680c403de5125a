"""Wallet test data. Money only ever reaches a wallet through the ledger: `fund()` posts a
manual adjustment (with a reason) against the adjustments account, never sets `balance`."""

from decimal import Decimal

import factory
from django.conf import settings

from shop.models import PriceTier, User, UserRole
from wallets.models import Wallet
from wallets.services import wallet_adjust, wallet_for_user


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(None)  # unusable: these users never log in here
    role = UserRole.CUSTOMER
    price_tier = PriceTier.RETAIL


class ResellerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"reseller{n}")
    role = UserRole.RESELLER
    price_tier = PriceTier.RESELLER


def fund(user, amount, *, currency: str | None = None, reason: str = "test funding") -> Wallet:
    """Credit `amount` to the user's wallet through `wallet_adjust`; the wallet, refreshed."""
    wallet = wallet_for_user(user=user, currency=currency or settings.SHOP_CURRENCY)
    wallet_adjust(wallet=wallet, amount=Decimal(amount), reason=reason)
    wallet.refresh_from_db()
    return wallet
