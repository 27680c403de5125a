"""catalog: admin. Saving what a price depends on reprices the products it affects."""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog.admin_mapping import MappingFilter, ProductMappingAdmin
from catalog.models import (
    Brand,
    BrandAlias,
    CatalogVersion,
    Category,
    PriceChange,
    PricingRule,
    PricingScope,
    Product,
    Provider,
    ShopItem,
    SyncRun,
)
from catalog.selectors import (
    active_pricing_rules,
    route_for_sale_filter,
    shop_item_unavailable_reason,
    stored_price_field,
)
from catalog.services import catalog_price_for, catalog_reprice_all, catalog_reprice_product
from shop.admin_mixins import HTTPS_URL_FIELDS, ReadOnlyAdmin

PREVIEW_PRODUCTS = 100


def reprice_after_commit(
    request: HttpRequest, *, reason: str, provider: Provider | None = None
) -> None:
    """Reprice (all products, or one provider's) once the admin's change is committed."""

    def reprice() -> None:
        changed = catalog_reprice_all(provider=provider, reason=reason)
        messages.info(request, f"Repriced: {changed} product(s) changed price.")

    transaction.on_commit(reprice)


class RepricedOnDelete:
    """An admin whose rows decide prices (rules, categories): deleting some reprices the
    catalog once the deletion is committed."""

    def delete_model(self, request, obj) -> None:
        reason = f"{obj._meta.verbose_name} #{obj.pk} deleted"
        super().delete_model(request, obj)
        reprice_after_commit(request, reason=reason)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        reprice_after_commit(request, reason=f"{queryset.model._meta.verbose_name_plural} deleted")


@admin.register(Category)
class CategoryAdmin(RepricedOnDelete, admin.ModelAdmin):
    """Deleting a category deletes its pricing rules and leaves its products and brands
    without one: the stored prices follow at once."""

    list_display = ("name", "name_id", "slug", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("name", "name_id", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    """A brand's category picks the category rule of its products that have none of their
    own: changing it reprices them."""

    list_display = (
        "name",
        "name_id",
        "slug",
        "category",
        "input_schema",
        "is_popular",
        "requires_confirmed_account",
    )
    list_filter = ("category", "input_schema", "is_popular", "requires_confirmed_account")
    search_fields = ("name", "name_id", "slug", "aliases__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    # An image address typed without a scheme is https (Django 6's default, said now).
    formfield_overrides = HTTPS_URL_FIELDS

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "category" in form.changed_data:
            reprice_after_commit(request, reason=f"brand {obj.slug} moved to another category")


@admin.register(Product)
class ProductAdmin(ProductMappingAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "brand",
        "provider",
        "provider_sku",
        "shop_item",
        "face_value",
        "denomination_type",
        "cost",
        "cost_currency",
        "price_retail",
        "price_reseller",
        "provider_active",
        "admin_active",
        "unavailable_reason",
    )
    list_filter = (
        MappingFilter,
        "provider",
        "denomination_type",
        "provider_active",
        "admin_active",
        "brand__category",
    )
    list_select_related = ("brand", "provider", "shop_item")
    search_fields = ("name", "provider_sku", "brand__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("provider", "brand", "category", "shop_item")
    readonly_fields = (
        "price_retail",
        "price_reseller",
        "unavailable_reason",
        "last_synced_at",
        "created_at",
        "updated_at",
    )
    actions = ("reprice_selected", "map_to_item", "create_shop_items")

    @admin.action(description="Reprice selected products")
    def reprice_selected(self, request, queryset) -> None:
        products = list(queryset.order_by("pk"))
        for product in products:
            catalog_reprice_product(product=product, reason="admin action")
        self.message_user(request, f"Repriced {len(products)} product(s).")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The stored prices follow cost, flags and the product's own rules at once.
        transaction.on_commit(
            lambda: catalog_reprice_product(product=obj, reason="edited in the admin")
        )


class RouteInline(admin.TabularInline):
    """An item's routes: the provider products it is bought from. Staff pin the order
    (`route_priority`, 1 first) and switch a route off; the rest is the provider's."""

    model = Product
    fk_name = "shop_item"
    verbose_name = "route"
    verbose_name_plural = "routes (provider products this item is bought from)"
    extra = 0
    max_num = 0  # routes are mapped from the product list or the "to map" page
    can_delete = False  # a route leaves its item from the product's page (its shop item)
    show_change_link = True
    fields = (
        "provider",
        "provider_sku",
        "name",
        "cost",
        "cost_currency",
        "provider_active",
        "admin_active",
        "stock",
        "cutoff_start",
        "cutoff_end",
        "route_priority",
        "price_retail",
        "price_reseller",
    )
    readonly_fields = tuple(
        field for field in fields if field not in ("admin_active", "route_priority")
    )
    ordering = ("route_priority", "cost", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provider")


@admin.register(ShopItem)
class ShopItemAdmin(admin.ModelAdmin):
    """The shop's items: names in both languages, face value or amount range, and their
    routes (provider products) inline. The stored prices are the item's pricing's."""

    list_display = (
        "name",
        "brand",
        "category",
        "denomination_type",
        "face_value",
        "route_count",
        "price_retail",
        "price_reseller",
        "active",
        "why_not_for_sale",
    )
    list_filter = ("active", "denomination_type", "brand__category", "routes__provider")
    date_hierarchy = "created_at"
    list_select_related = ("brand", "category")
    search_fields = ("name", "name_id", "brand__name", "brand__name_id", "routes__provider_sku")
    autocomplete_fields = ("brand", "category")
    formfield_overrides = HTTPS_URL_FIELDS
    readonly_fields = (
        "price_retail",
        "price_reseller",
        "unavailable_reason",
        "why_not_for_sale",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("brand", "category", "name", "name_id", "image_url", "sort_order")}),
        (
            "What the buyer gets",
            {"fields": ("denomination_type", "face_value", "min_amount", "max_amount")},
        ),
        (
            "Sale",
            {
                "fields": (
                    "active",
                    "allow_below_cost",
                    "price_retail",
                    "price_reseller",
                    "unavailable_reason",
                    "why_not_for_sale",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [RouteInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _routes=Count("routes", distinct=True),
                _routes_for_sale=Count(
                    "routes", filter=route_for_sale_filter("routes__"), distinct=True
                ),
            )
        )

    @admin.display(description="routes", ordering="_routes")
    def route_count(self, obj) -> str:
        return f"{obj._routes_for_sale} of {obj._routes}" if obj._routes else "none"

    @admin.display(description="why not for sale")
    def why_not_for_sale(self, obj) -> str:
        return shop_item_unavailable_reason(obj) or "-"

    def save_formset(self, request, form, formset, change) -> None:
        """A route switched off or on is repriced, as from its own page."""
        super().save_formset(request, form, formset, change)
        for product, _changed in formset.changed_objects:
            transaction.on_commit(
                lambda product=product: catalog_reprice_product(
                    product=product, reason="edited in the admin"
                )
            )


@admin.register(BrandAlias)
class BrandAliasAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "brand")
    list_filter = ("brand__category",)
    search_fields = ("name", "key", "brand__name")
    autocomplete_fields = ("brand",)


@admin.register(PricingRule)
class PricingRuleAdmin(RepricedOnDelete, admin.ModelAdmin):
    list_display = (
        "__str__",
        "scope",
        "tier",
        "percent",
        "flat_amount",
        "min_margin",
        "rounding_step",
        "active",
        "updated_at",
    )
    list_filter = ("scope", "tier", "active")
    search_fields = ("item__name", "product__name", "brand__name", "category__name")
    date_hierarchy = "updated_at"
    autocomplete_fields = ("product", "brand", "category")
    change_form_template = "ops/pricingrule_change_form.html"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        reprice_after_commit(request, reason=f"pricing rule #{obj.pk} saved")

    # --- preview: the prices a rule would produce, before it is saved ------------------------

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="catalog_pricingrule_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        """POST the add/change form here: the rule is validated but not saved, and the
        products it applies to are priced with it next to their stored prices. The page
        re-posts the same data to the form to save it."""
        if request.method != "POST":
            raise PermissionDenied
        rule_id = request.POST.get("_rule_id") or None
        rule = PricingRule.objects.filter(pk=rule_id).first() if rule_id else None
        if not (
            self.has_change_permission(request, rule) if rule else self.has_add_permission(request)
        ):
            raise PermissionDenied
        form = self.get_form(request, rule)(request.POST, instance=rule)
        rows = []
        if form.is_valid():
            rows = pricing_preview(form.save(commit=False))
        save_url = (
            reverse("admin:catalog_pricingrule_change", args=[rule.pk])
            if rule
            else reverse("admin:catalog_pricingrule_add")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Pricing rule preview",
            "opts": self.model._meta,
            "form": form,
            "rows": rows,
            "limit": PREVIEW_PRODUCTS,
            "save_url": save_url,
            "posted": [
                (key, value)
                for key, values in request.POST.lists()
                if key not in ("csrfmiddlewaretoken", "_rule_id", "_preview")
                for value in values
            ],
        }
        return TemplateResponse(request, "ops/pricingrule_preview.html", context)


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "product", "tier", "old_price", "new_price", "cost", "reason")
    list_filter = ("tier", "product__provider")
    list_select_related = ("product__provider",)
    search_fields = ("product__name", "product__provider_sku", "reason")
    date_hierarchy = "changed_at"


@admin.register(CatalogVersion)
class CatalogVersionAdmin(ReadOnlyAdmin):
    """The version guest pages are cached under (docs/storefront.md); only triggers write it."""

    list_display = ("id", "version")
    search_fields = ("version",)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "provider",
        "status",
        "finished_at",
        "created",
        "updated",
        "deactivated",
        "hidden",
    )
    list_filter = ("status", "provider")
    list_select_related = ("provider",)
    search_fields = ("provider__code", "message")
    date_hierarchy = "started_at"


def _products_in_scope(rule: PricingRule):
    products = Product.objects.select_related("provider", "brand").order_by("pk")
    if rule.scope == PricingScope.ITEM:  # the item's routes (the item's own price: not shown)
        return products.filter(shop_item_id=rule.item_id)
    if rule.scope == PricingScope.PRODUCT:
        return products.filter(pk=rule.product_id)
    if rule.scope == PricingScope.BRAND:
        return products.filter(brand_id=rule.brand_id)
    if rule.scope == PricingScope.CATEGORY:
        return products.filter(category_id=rule.category_id) | products.filter(
            category__isnull=True, brand__category_id=rule.category_id
        )
    return products


def pricing_preview(rule: PricingRule) -> list[dict]:
    """For up to PREVIEW_PRODUCTS products the (unsaved) `rule` covers: the stored price
    at its tier and the price and margin the rules would give with it in place."""
    others = [other for other in active_pricing_rules() if rule.pk is None or other.pk != rule.pk]
    if rule.pk is None:
        rule.pk = 2**62  # never saved; a new rule is the newest, so it loses ties as it will
    with_rule = [*others, rule] if rule.active else others
    stored = stored_price_field(rule.tier)
    rows = []
    for product in _products_in_scope(rule)[:PREVIEW_PRODUCTS]:
        new = catalog_price_for(product=product, tier=rule.tier, rules=with_rule)
        rows.append(
            {
                "product": product,
                "cost": new.cost,
                "price_now": getattr(product, stored),
                "price_new": new.price,
                "margin_new": new.margin,
                "margin_percent": (new.margin * 100 / new.price).quantize(Decimal("0.1"))
                if new.price
                else None,
                "applies": new.rule is rule,
                "reason": new.reason,
            }
        )
    return rows
