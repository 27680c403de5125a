"""Reading promotions: the flash sales on now, a promotion's report."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from promotions.models import FlashSale, PromoCode, PromotionUse


def flash_sales_active(*, now=None, item_ids=None):
    """The flash sales running now with stock left, the earliest ending first (their item
    and its brand loaded); only those of `item_ids` when given."""
    now = now or timezone.now()
    sales = FlashSale.objects.filter(
        paused=False, starts_at__lte=now, ends_at__gt=now, sold__lt=F("stock")
    ).select_related("item", "item__brand")
    if item_ids is not None:
        sales = sales.filter(item_id__in=list(item_ids))
    return sales.order_by("ends_at", "pk")


@dataclass(frozen=True)
class PromotionReport:
    """What a promotion did: orders held (uses), the discount given, the revenue (what the
    buyers paid), the cost and the margin (revenue - cost), over the uses not given back;
    `released` counts the uses given back (refunds, expiries, cancellations)."""

    uses: int
    released: int
    discount: Decimal
    revenue: Decimal
    list_revenue: Decimal
    cost: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


def promotion_report(*, promotion: PromoCode | FlashSale) -> PromotionReport:
    """The report of one promo code or flash sale (see PromotionReport)."""
    field = "promo_code" if isinstance(promotion, PromoCode) else "flash_sale"
    uses = PromotionUse.objects.filter(**{field: promotion})
    zero = Decimal("0")
    held = Q(released_at__isnull=True)
    totals = uses.aggregate(
        uses=Count("pk", filter=held),
        released=Count("pk", filter=~held),
        discount=Sum("discount", filter=held),
        revenue=Sum("price", filter=held),
        list_revenue=Sum("list_price", filter=held),
        cost=Sum("cost", filter=held),
    )
    return PromotionReport(
        uses=totals["uses"],
        released=totals["released"],
        discount=totals["discount"] or zero,
        revenue=totals["revenue"] or zero,
        list_revenue=totals["list_revenue"] or zero,
        cost=totals["cost"] or zero,
    )


def promotion_use_for_order(*, order_id: int) -> PromotionUse | None:
    """The use order `order_id` holds (not given back), or None."""
    return (
        PromotionUse.objects.filter(order_id=order_id, released_at__isnull=True)
        .select_related("promo_code", "flash_sale")
        .first()
    )
