"""Promotions on the shop's own items (`catalog.ShopItem`): promo codes a buyer enters and
flash sales that price an item for a window. Each discounted order holds one
`PromotionUse` (unique per order) that is given back at most once.

The counters `PromoCode.used` and `FlashSale.sold` count the uses that are held (not
given back); they change only in `promotions.services`, under the promotion's row lock,
in the transaction of the order's payment (or, for an order paid through the gateway,
of its creation: its use is held while it awaits payment)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.money import money_field


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percent")
    FLAT = "flat", _("Flat amount")


class PromoScope(models.TextChoices):
    ITEM = "item", _("One item")
    BRAND = "brand", _("A brand")
    CATEGORY = "category", _("A category")
    EVERYTHING = "everything", _("Everything")


class PromoTiers(models.TextChoices):
    ALL = "all", _("Retail and reseller")
    RETAIL = "retail", _("Retail only")
    RESELLER = "reseller", _("Reseller only")


class Promotion(models.Model):
    """What promo codes and flash sales share: a name, a window, a pause switch, and
    whether the discount may take the price below the margin floor."""

    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    paused = models.BooleanField(default=False, help_text="Paused: not offered, not usable.")
    allowed_below_cost = models.BooleanField(
        default=False,
        help_text=(
            "Let the discounted price go below the item's cost plus its minimum margin. "
            "Off: a discount that would do so is refused."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def is_running(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.paused and self.starts_at <= now < self.ends_at


class PromoCode(Promotion):
    """A code a buyer enters: percent or flat off the list price of the items in scope."""

    code = models.CharField(
        max_length=40, unique=True, help_text="What buyers type; stored upper case."
    )
    kind = models.CharField(max_length=16, choices=DiscountKind.choices)
    value = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        help_text="Percent off (1-100), or the amount off in the shop currency.",
    )
    max_discount = money_field(
        null=True,
        blank=True,
        help_text="A percent code gives at most this much off (empty: no cap).",
    )
    scope = models.CharField(max_length=16, choices=PromoScope.choices)
    item = models.ForeignKey(
        "catalog.ShopItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brand = models.ForeignKey(
        "catalog.Brand", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tiers = models.CharField(max_length=16, choices=PromoTiers.choices, default=PromoTiers.ALL)
    min_purchase = money_field(
        default=Decimal("0"), help_text="The list price must be at least this much."
    )
    total_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uses in all (empty: no limit)."
    )
    per_buyer_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Uses per buyer (empty: no limit)."
    )
    first_order_only = models.BooleanField(
        default=False, help_text="Only for a buyer's first order."
    )
    used = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-starts_at", "code"]
        permissions = [("report_promotions", "Can see promotion reports and export them")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_limit__isnull=True) | Q(used__lte=F("total_limit")),
                name="promocode_used_within_limit",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="promocode_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="promocode_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="promocode_window_not_empty"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="item", item__isnull=False)
                    | Q(scope="brand", brand__isnull=False)
                    | Q(scope="category", category__isnull=False)
                    | Q(scope="everything")
                ),
                name="promocode_scope_has_target",
            ),
        ]

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class FlashSale(Promotion):
    """One item at a sale price during a window, for at most `stock` orders."""

    item = models.ForeignKey("catalog.ShopItem", on_delete=models.PROTECT, related_name="+")
    price = money_field(help_text="The sale price (every tier unless the reseller price is set).")
    price_reseller = money_field(
        null=True, blank=True, help_text="The resellers' sale price (empty: the price above)."
    )
    stock = models.PositiveIntegerField(help_text="At most this many orders at the sale price.")
    sold = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sold__lte=F("stock")), name="flashsale_sold_within_stock"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="flashsale_price_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flashsale_window_not_empty"
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.item_id is not None and self.item.denomination_type != "fixed":
            raise ValidationError(
                {
                    "item": "A flash sale prices a fixed item (a flexible one's price follows "
                    "the amount)."
                }
            )

    def price_for(self, tier: str) -> Decimal:
        if tier == "reseller" and self.price_reseller is not None:
            return self.price_reseller
        return self.price

    @property
    def remaining(self) -> int:
        return max(self.stock - self.sold, 0)


class PromotionUse(models.Model):
    """One order's promotion (a code or a flash sale): the list price, the discount and
    the price paid. Held from the claim until `released_at` (a refund, an expiry or a
    cancellation), which is set at most once."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="+")
    promo_code = models.ForeignKey(
        PromoCode, null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )
    flash_sale = models.ForeignKey(
        FlashSale, null=True, blank=True, on_delete=models.PROTECT, related_name="uses"
    )
    # Who used it: "user:<id>", or a guest's "guest:<e-mail or phone>" (per-buyer limits).
    buyer_key = models.CharField(max_length=200, db_index=True)
    list_price = money_field()
    discount = money_field()
    price = money_field()
    cost = money_field()
    claimed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promo_code__isnull=False, flash_sale__isnull=True)
                | Q(promo_code__isnull=True, flash_sale__isnull=False),
                name="promotionuse_one_promotion",
            ),
            models.CheckConstraint(
                condition=Q(discount__gt=0), name="promotionuse_discount_positive"
            ),
            models.CheckConstraint(
                condition=Q(price=F("list_price") - F("discount")),
                name="promotionuse_price_is_list_minus_discount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promotion} on order #{self.order_id}"

    @property
    def promotion(self):
        return self.promo_code or self.flash_sale

    @property
    def held(self) -> bool:
        return self.released_at is None
