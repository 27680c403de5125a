"""The product admin's mapping tools: the "to map" page (unmapped products, each with the
shop items suggested for it and a one-click "map"), and the bulk actions "map to item …"
and "create a shop item for each" (catalog.services.mapping does the work)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from catalog.models import DenominationType, Product, ShopItem
from catalog.services.mapping import (
    mapping_suggestions,
    product_map_to_item,
    shop_items_create_for_products,
    unmapped_products,
)
from shop.errors import ApplicationError

TO_MAP_PER_PAGE = 50


class MappingFilter(admin.SimpleListFilter):
    """Products by whether they are a route of a shop item (bills are neither)."""

    title = "mapping"
    parameter_name = "mapping"

    def lookups(self, request, model_admin):
        return (("to_map", "To map (no shop item)"), ("mapped", "Mapped to a shop item"))

    def queryset(self, request, queryset):
        if self.value() == "to_map":
            return queryset.filter(shop_item__isnull=True).exclude(
                denomination_type=DenominationType.BILL
            )
        if self.value() == "mapped":
            return queryset.filter(shop_item__isnull=False)
        return queryset


class MapToItemForm(forms.Form):
    """The item the selected products become routes of: one of their brand's."""

    shop_item = forms.ModelChoiceField(queryset=ShopItem.objects.none(), label="Shop item")

    def __init__(self, *args, brand_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop_item"].queryset = ShopItem.objects.filter(brand_id=brand_id).order_by(
            "sort_order", "face_value", "name"
        )


class ProductMappingAdmin:
    """Mixed into the product admin: the "to map" page and the mapping actions."""

    change_list_template = "admin/catalog/product/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("to-map/", view(self.to_map_view), name="catalog_product_to_map"),
            path(
                "<int:product_id>/map-to/<int:item_id>/",
                view(require_POST(self.map_one_view)),
                name="catalog_product_map_to",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "to_map_count": unmapped_products().count()}
        return super().changelist_view(request, extra_context)

    # --- the "to map" page ------------------------------------------------------------------

    def to_map_view(self, request: HttpRequest):
        """Unmapped products (newest first), each with its suggestions."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        products = unmapped_products().select_related("provider", "brand").order_by("-pk")
        page = Paginator(products, TO_MAP_PER_PAGE).get_page(request.GET.get("page"))
        rows = [(product, mapping_suggestions(product=product)) for product in page]
        context = {
            **self.admin_site.each_context(request),
            "title": "Products to map",
            "opts": self.model._meta,
            "page": page,
            "rows": rows,
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/catalog/product/to_map.html", context)

    def map_one_view(self, request: HttpRequest, product_id: int, item_id: int):
        """The one-click "map": `product` becomes a route of `item` (a suggestion)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        product = get_object_or_404(Product.objects.select_related("provider"), pk=product_id)
        item = get_object_or_404(ShopItem, pk=item_id)
        try:
            product_map_to_item(products=[product], item=item)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{product} is now a route of {item}.")
        return HttpResponseRedirect(reverse("admin:catalog_product_to_map"))

    # --- bulk actions -----------------------------------------------------------------------

    @admin.action(description="Map to item …", permissions=["change"])
    def map_to_item(self, request: HttpRequest, queryset: QuerySet[Product]):
        """Ask for one item of the products' brand, then map them all to it (or none)."""
        products = list(queryset.select_related("provider", "brand").order_by("pk"))
        brand_ids = {product.brand_id for product in products}
        if len(brand_ids) != 1:
            self.message_user(
                request, "Select products of one brand to map them to one item.", messages.ERROR
            )
            return None
        form = MapToItemForm(
            request.POST if "apply" in request.POST else None, brand_id=brand_ids.pop()
        )
        if form.is_valid():
            item = form.cleaned_data["shop_item"]
            try:
                changed = product_map_to_item(products=products, item=item)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{changed} product(s) mapped to {item}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Map products to a shop item",
            "opts": self.model._meta,
            "products": products,
            "form": form,
            "action": "map_to_item",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/product/map_to_item.html", context)

    @admin.action(description="Create a shop item for each", permissions=["change"])
    def create_shop_items(self, request: HttpRequest, queryset: QuerySet[Product]):
        """A new item per selected product (named, priced and valued like it)."""
        if not request.user.has_perm("catalog.add_shopitem"):
            raise PermissionDenied
        products = list(queryset.select_related("brand").order_by("pk"))
        created = shop_items_create_for_products(products=products)
        skipped = len(products) - len(created)
        message = f"Created {len(created)} shop item(s)."
        if skipped:
            message += f" {skipped} bill type(s) skipped: bills are sold by inquiry."
        self.message_user(request, message)
