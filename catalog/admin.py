"""catalog: admin. Saving what a price depends on reprices the products it affects."""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from catalog.models import Brand, Category, PriceChange, PricingRule, Product, Provider, SyncRun
from catalog.services import catalog_reprice_all, catalog_reprice_product
from shop.admin_mixins import ReadOnlyAdmin


def _reprice_after_commit(
    request: HttpRequest, *, reason: str, provider: Provider | None = None
) -> None:
    """Reprice (all products, or one provider's) once the admin's change is committed."""

    def reprice() -> None:
        changed = catalog_reprice_all(provider=provider, reason=reason)
        messages.info(request, f"Repriced: {changed} product(s) changed price.")

    transaction.on_commit(reprice)


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "kind",
        "enabled",
        "currency",
        "exchange_rate",
        "last_balance",
        "last_balance_at",
    )
    list_filter = ("kind", "enabled", "currency")
    search_fields = ("name", "code")
    date_hierarchy = "last_balance_at"
    readonly_fields = ("last_balance", "last_balance_at")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and {"enabled", "exchange_rate"} & set(form.changed_data):
            _reprice_after_commit(request, reason=f"provider {obj.code} changed", provider=obj)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "category", "input_schema", "is_popular")
    list_filter = ("category", "input_schema", "is_popular")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "brand",
        "provider",
        "provider_sku",
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
        "provider",
        "denomination_type",
        "provider_active",
        "admin_active",
        "brand__category",
    )
    list_select_related = ("brand", "provider")
    search_fields = ("name", "provider_sku", "brand__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("provider", "brand", "category")
    readonly_fields = (
        "price_retail",
        "price_reseller",
        "unavailable_reason",
        "last_synced_at",
        "created_at",
        "updated_at",
    )
    actions = ("reprice_selected",)

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


@admin.register(PricingRule)
class PricingRuleAdmin(admin.ModelAdmin):
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
    search_fields = ("product__name", "brand__name", "category__name")
    date_hierarchy = "updated_at"
    autocomplete_fields = ("product", "brand", "category")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        _reprice_after_commit(request, reason=f"pricing rule #{obj.pk} saved")

    def delete_model(self, request, obj) -> None:
        reason = f"pricing rule #{obj.pk} deleted"
        super().delete_model(request, obj)
        _reprice_after_commit(request, reason=reason)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        _reprice_after_commit(request, reason="pricing rules deleted")


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "product", "tier", "old_price", "new_price", "cost", "reason")
    list_filter = ("tier", "product__provider")
    list_select_related = ("product__provider",)
    search_fields = ("product__name", "product__provider_sku", "reason")
    date_hierarchy = "changed_at"


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
