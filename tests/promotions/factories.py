from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from promotions.models import DiscountKind, FlashSale, PromoCode, PromoScope


class PromoCodeFactory(factory.django.DjangoModelFactory):
    """A running flat code of 300 off everything, no limits."""

    class Meta:
        model = PromoCode

    name = factory.Sequence(lambda n: f"Promo {n}")
    code = factory.Sequence(lambda n: f"PROMO{n}")
    kind = DiscountKind.FLAT
    value = Decimal("300")
    scope = PromoScope.EVERYTHING
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class FlashSaleFactory(factory.django.DjangoModelFactory):
    """A running flash sale at 10,100 (cost 10,000, list 10,500) with 50 in stock."""

    class Meta:
        model = FlashSale

    name = factory.Sequence(lambda n: f"Flash {n}")
    price = Decimal("10100")
    stock = 50
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
