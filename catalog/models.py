"""What the shop sells and from whom: providers, categories, brands, products, pricing."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation

from shop.models import PriceTier
from shop.money import money_field


class ProviderKind(models.TextChoices):
    UPSTREAM = "upstream", "Upstream supplier"
    GATEWAY = "gateway", "Payment gateway"


class Provider(models.Model):
    """A supplier or payment gateway; non-secret settings only (credentials live in the env)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ProviderKind.choices)
    enabled = models.BooleanField(default=True)
    currency = models.CharField(max_length=3, default="IDR")
    # Shop currency per one unit of the provider's currency; set by an admin.
    exchange_rate = models.DecimalField(
        max_digits=18, decimal_places=6, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    low_balance_threshold = money_field(default=Decimal("0"))
    last_balance = money_field(null=True, blank=True)
    last_balance_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider refused an order for its own lack of balance: its products stop
    # selling until a balance check shows enough again.
    out_of_balance_since = models.DateTimeField(null=True, blank=True)
    # Staff were told the balance is under the threshold; cleared when it is back above.
    low_balance_notified = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """The shop's category, named in the shop's words in both languages (a sync creates one
    per provider category it meets; staff rename or merge them)."""

    name = models.CharField("name (English)", max_length=100)
    name_id = models.CharField(
        "name (Bahasa Indonesia)", max_length=100, blank=True, help_text="Empty: the English name."
    )
    slug = models.SlugField(max_length=100, unique=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class InputSchema(models.TextChoices):
    """What the buyer types for a brand's products (validated in catalog.input_schemas)."""

    GAME = "game", "Game user id"
    GAME_WITH_ZONE = "game_zone", "Game user id and zone id"
    # One per game people buy most: its own fields, checks and help text.
    MOBILE_LEGENDS = "mobile_legends", "Mobile Legends: user id and zone id"
    FREE_FIRE = "free_fire", "Free Fire: player id"
    PUBG_MOBILE = "pubg_mobile", "PUBG Mobile: player id"
    GENSHIN_IMPACT = "genshin_impact", "Genshin Impact: UID and server"
    HONKAI_STAR_RAIL = "honkai_star_rail", "Honkai: Star Rail: UID and server"
    RIOT_ID = "riot_id", "Riot ID name#tag (Valorant)"
    CALL_OF_DUTY_MOBILE = "codm", "Call of Duty Mobile: player id (open id)"
    HONOR_OF_KINGS = "honor_of_kings", "Honor of Kings: player id"
    PHONE = "phone", "Phone number"
    PLN = "pln", "PLN meter number"
    EMAIL = "email", "E-mail (gift cards)"
    OTHER = "other", "Free text"


class Brand(models.Model):
    """The shop's brand. A sync matches a provider's brand name to it case- and
    punctuation-insensitively ("MOBILE LEGENDS" is "Mobile Legends"), or through a
    `BrandAlias`; the names shown are the shop's, in both languages."""

    name = models.CharField("name (English)", max_length=100)
    name_id = models.CharField(
        "name (Bahasa Indonesia)", max_length=100, blank=True, help_text="Empty: the English name."
    )
    slug = models.SlugField(max_length=100, unique=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="brands"
    )
    image_url = models.URLField(blank=True)
    # The provider's own note (a sync fills it, in the provider's words and language):
    # staff read it; buyers never see it.
    description = models.TextField(
        "provider's note",
        blank=True,
        help_text="From the provider's price list. Not shown to buyers.",
    )
    # The shop's own instructions per language; empty: the input schema's translated text.
    instructions = models.TextField(
        "instructions (English)",
        blank=True,
        help_text="Shown to buyers on English pages. Empty: the standard text for the input.",
    )
    instructions_id = models.TextField(
        "instructions (Bahasa Indonesia)",
        blank=True,
        help_text="Shown on Indonesian pages. Empty: the standard text for the input.",
    )
    input_schema = models.CharField(
        max_length=16, choices=InputSchema.choices, default=InputSchema.OTHER
    )
    is_popular = models.BooleanField(default=False)
    # The account check ("cek ID", providers/account_check.py): off, a check that could not
    # be made lets the sale go on; on, only an account a provider confirmed may be bought.
    requires_confirmed_account = models.BooleanField(
        default=False,
        help_text=(
            "Sell only to accounts a provider's account check confirmed. Off: when the check "
            "cannot be made (a provider outage), the sale goes on. An account the provider "
            "does not know is refused either way."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BrandAlias(models.Model):
    """Another name a provider gives one of the shop's brands ("MLBB" for Mobile Legends):
    the sync files that provider's products under the brand. Compared like brand names,
    ignoring case, spaces and punctuation (`catalog.names.name_key`)."""

    name = models.CharField(max_length=100, help_text="The provider's brand name.")
    key = models.CharField(max_length=100, unique=True, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "brand aliases"

    def __str__(self) -> str:
        return f"{self.name} → {self.brand}"

    def save(self, *args, **kwargs) -> None:
        from catalog.names import name_key

        self.key = name_key(self.name)
        super().save(*args, **kwargs)


class DenominationType(models.TextChoices):
    FIXED = "fixed", "Fixed price"
    FLEXIBLE = "flexible", "Any amount in range"
    # A postpaid bill type: its amount comes from an inquiry (docs/bills.md); never on sale
    # as a product, so it stores no price.
    BILL = "bill", "Postpaid bill"


class ShopItem(models.Model):
    """What the shop sells, in its own words: one item (a denomination, or an amount range)
    of one of its brands, bought from whichever provider product linked to it (a route,
    `Product.shop_item`) is enabled, healthy, in stock and cheapest (orders.routing).

    `face_value` is what the buyer gets in the item's unit (86 diamonds, 10,000 rupiah of
    credit): provider products of one brand with the same face value are the same item
    (the admin's mapping suggestions). Prices are the shop item's own, per tier, stored
    like a product's; `allow_below_cost` lets a failover use a route dearer than the price.
    """

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="items")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    name = models.CharField("name (English)", max_length=200)
    name_id = models.CharField(
        "name (Bahasa Indonesia)", max_length=200, blank=True, help_text="Empty: the English name."
    )
    denomination_type = models.CharField(
        max_length=16,
        choices=[
            (DenominationType.FIXED.value, DenominationType.FIXED.label),
            (DenominationType.FLEXIBLE.value, DenominationType.FLEXIBLE.label),
        ],
        default=DenominationType.FIXED,
    )
    face_value = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the buyer gets, in the item's unit (86 diamonds, 10,000 of credit).",
    )
    min_amount = money_field(null=True, blank=True)
    max_amount = money_field(null=True, blank=True)
    image_url = models.URLField(blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True, help_text="Off: not sold, whatever its routes.")
    allow_below_cost = models.BooleanField(
        default=False,
        help_text=(
            "Let an order fail over to a route that costs more than the price the buyer paid. "
            "Off: such routes are skipped and the order is refunded instead."
        ),
    )
    price_retail = money_field(null=True, blank=True)
    price_reseller = money_field(null=True, blank=True)
    unavailable_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand__name", "sort_order", "face_value", "name"]
        # the mapping suggestions and the sync's auto-map look items up by these
        indexes = [models.Index(fields=["brand", "face_value"], name="shopitem_brand_face_value")]
        constraints = [
            models.CheckConstraint(
                condition=Q(denomination_type="fixed")
                | (Q(min_amount__isnull=False) & Q(max_amount__isnull=False)),
                name="shopitem_flexible_has_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_flexible(self) -> bool:
        return self.denomination_type == DenominationType.FLEXIBLE

    def stored_price(self, tier: str) -> Decimal | None:
        return self.price_reseller if tier == PriceTier.RESELLER else self.price_retail

    def localized_name(self) -> str:
        """The name in the active language: `name_id` on Indonesian pages when set."""
        language = (translation.get_language() or "en").split("-")[0]
        return self.name_id if language == "id" and self.name_id else self.name


class Product(models.Model):
    """One item of one provider (its SKU), sold under a brand.

    FIXED products cost `cost`. FLEXIBLE products (gift cards of any amount) sell any face
    amount between `min_amount` and `max_amount`; their `cost` is the cost of one unit of
    face value (e.g. 0.95 for a 5% discount), so an amount of 100,000 costs 95,000.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="products")
    provider_sku = models.CharField(max_length=100)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cost = models.DecimalField(max_digits=18, decimal_places=4, validators=[MinValueValidator(0)])
    cost_currency = models.CharField(max_length=3, default="IDR")
    denomination_type = models.CharField(
        max_length=16, choices=DenominationType.choices, default=DenominationType.FIXED
    )
    min_amount = money_field(null=True, blank=True)
    max_amount = money_field(null=True, blank=True)
    provider_active = models.BooleanField(default=True)
    admin_active = models.BooleanField(default=True)
    # What the buyer gets (86 diamonds, 10,000 of credit), parsed from the name when the
    # sync creates the product (`catalog.face_values`); staff may correct it. The mapping
    # suggestions and the sync's auto-map match it with a shop item's.
    face_value = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the buyer gets, parsed from the name (86 diamonds, 10,000 of credit).",
    )
    # Stored selling prices per tier (shop currency), refreshed by catalog_reprice_product;
    # null means not for sale at that tier, and `unavailable_reason` says why.
    price_retail = money_field(null=True, blank=True)
    price_reseller = money_field(null=True, blank=True)
    unavailable_reason = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Routing (orders.routing): the shop item this product is one route of (null: not
    # mapped yet, so not sold), a staff pin (lower first; null: by cost), the provider's
    # stock (null: unlimited) and its daily cut-off (no orders from start to end, in the
    # shop's time zone; a window may run past midnight).
    shop_item = models.ForeignKey(
        ShopItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="routes"
    )
    route_priority = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Pinned order among the item's routes: 1 first. Empty: cheapest first.",
    )
    stock = models.PositiveIntegerField(
        null=True, blank=True, help_text="The provider's stock; empty: unlimited."
    )
    cutoff_start = models.TimeField(null=True, blank=True)
    cutoff_end = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["brand__name", "price_retail", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_sku"], name="product_sku_unique_per_provider"
            ),
            models.CheckConstraint(
                condition=Q(denomination_type__in=["fixed", "bill"])
                | (Q(min_amount__isnull=False) & Q(max_amount__isnull=False)),
                name="product_flexible_has_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider.code}:{self.provider_sku})"

    @property
    def is_flexible(self) -> bool:
        return self.denomination_type == DenominationType.FLEXIBLE

    @property
    def is_bill(self) -> bool:
        return self.denomination_type == DenominationType.BILL

    def stored_price(self, tier: str) -> Decimal | None:
        return self.price_reseller if tier == PriceTier.RESELLER else self.price_retail


class PricingScope(models.TextChoices):
    ITEM = "item", "Shop item"
    PRODUCT = "product", "Product"
    BRAND = "brand", "Brand"
    CATEGORY = "category", "Category"
    GLOBAL = "global", "Global"


class PricingRule(models.Model):
    """Margin for a tier: the most specific active rule (shop item or product, brand,
    category, global) wins. A shop item is priced by its own rule, else the product rule of
    the route it is priced from, else its brand's, category's, the global one."""

    scope = models.CharField(max_length=16, choices=PricingScope.choices)
    tier = models.CharField(max_length=16, choices=PriceTier.choices)
    item = models.ForeignKey(
        ShopItem, null=True, blank=True, on_delete=models.CASCADE, related_name="pricing_rules"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="pricing_rules"
    )
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.CASCADE, related_name="pricing_rules"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="pricing_rules"
    )
    percent = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    flat_amount = money_field(default=Decimal("0"))
    min_margin = money_field(default=Decimal("0"))
    rounding_step = money_field(default=Decimal("1"))
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        scope="item",
                        item__isnull=False,
                        product__isnull=True,
                        brand__isnull=True,
                        category__isnull=True,
                    )
                    | Q(
                        scope="product",
                        item__isnull=True,
                        product__isnull=False,
                        brand__isnull=True,
                        category__isnull=True,
                    )
                    | Q(
                        scope="brand",
                        item__isnull=True,
                        product__isnull=True,
                        brand__isnull=False,
                        category__isnull=True,
                    )
                    | Q(
                        scope="category",
                        item__isnull=True,
                        product__isnull=True,
                        brand__isnull=True,
                        category__isnull=False,
                    )
                    | Q(
                        scope="global",
                        item__isnull=True,
                        product__isnull=True,
                        brand__isnull=True,
                        category__isnull=True,
                    )
                ),
                name="pricing_rule_target_matches_scope",
            ),
            models.CheckConstraint(
                condition=Q(rounding_step__gte=0) & Q(min_margin__gte=0),
                name="pricing_rule_non_negative_step_and_margin",
            ),
        ]

    def __str__(self) -> str:
        target = self.item or self.product or self.brand or self.category or "all products"
        return f"{self.get_tier_display()} {self.percent}% + {self.flat_amount} on {target}"


class PriceChange(models.Model):
    """History of a product's stored price per tier (written by catalog_reprice_product)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_changes")
    tier = models.CharField(max_length=16, choices=PriceTier.choices)
    old_price = money_field(null=True, blank=True)
    new_price = money_field(null=True, blank=True)
    cost = models.DecimalField(max_digits=18, decimal_places=4)
    reason = models.CharField(max_length=200, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.product} {self.tier}: {self.old_price} → {self.new_price}"


class SyncRun(models.Model):
    """One catalog sync of one provider (filled by the providers issue's sync service)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="sync_runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    hidden = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.provider.code} sync {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class CatalogVersion(models.Model):
    """The one row whose `version` changes with every committed change of what the
    storefront shows (products, brands, categories, providers, pricing rules): guest pages
    are cached under it (`catalog.page_cache`). Written only by database triggers
    (migration `0005_catalog_version`), at the commit of the change, in its transaction.

    `version` is a fresh random number, not a counter: a test's rollback or a restored
    backup can never bring back a value a process still has pages cached under.

    Beside it, the table `catalog_catalogchange` (no model: only the triggers write it)
    holds one row per transaction that changed the catalog and has not committed yet,
    deleted at its commit; other transactions never see one, and a transaction that sees
    its own uses no cached page (its pages show what it wrote)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalog version {self.version}"
