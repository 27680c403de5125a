"""Reseller API reads: the price list at a tier, a reseller's orders and callbacks."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet

from catalog.input_schemas import schema_fields
from catalog.models import Product
from catalog.services import product_unavailable_reason
from promotions.selectors import flash_sales_active
from resellers.models import ApiKey, ApiOrder, CallbackDelivery


def flash_sales_for_api(*, tier: str) -> list[dict]:
    """The flash sales on now (`promotions.selectors.flash_sales_active`) at `tier`'s sale
    price, each with the products an admin has not switched off that sell its item."""
    sales = list(flash_sales_active())
    products: dict[int, list[int]] = {}
    for product_id, item_id in (
        Product.objects.filter(admin_active=True, shop_item_id__in={s.item_id for s in sales})
        .order_by("pk")
        .values_list("pk", "shop_item_id")
    ):
        products.setdefault(item_id, []).append(product_id)
    return [
        {
            "id": sale.pk,
            "name": sale.name,
            "item_id": sale.item_id,
            "item": sale.item,
            "product_ids": products.get(sale.item_id, []),
            "price": sale.price_for(tier),
            "starts_at": sale.starts_at,
            "ends_at": sale.ends_at,
            "stock": sale.stock,
            "remaining": sale.remaining,
        }
        for sale in sales
    ]


def price_list(*, tier: str, category: str = "", brand: str = "") -> list[dict]:
    """Every product an admin has not switched off, at `tier`, with its availability and the
    fields `customer_data` needs; filtered by category and brand slug."""
    products = Product.objects.filter(admin_active=True).select_related(
        "provider", "brand__category", "category"
    )
    if category:
        products = products.filter(
            Q(category__slug=category) | Q(category__isnull=True, brand__category__slug=category)
        )
    if brand:
        products = products.filter(brand__slug=brand)
    fields_by_schema: dict[str, list] = {}
    rows = []
    for product in products.order_by("brand__name", "name", "pk"):
        schema = product.brand.input_schema
        if schema not in fields_by_schema:
            fields_by_schema[schema] = schema_fields(schema)
        price: Decimal | None = None if product.is_flexible else product.stored_price(tier)
        reason = product_unavailable_reason(product)
        if not reason and not product.is_flexible and price is None:
            reason = product.unavailable_reason or "not priced for your tier"
        listed_category = product.category or product.brand.category
        rows.append(
            {
                "id": product.pk,
                "name": product.name,
                "brand": product.brand.slug,
                "brand_name": product.brand.name,
                "category": listed_category.slug if listed_category else None,
                "denomination_type": product.denomination_type,
                "price": None if reason else price,
                "min_amount": product.min_amount,
                "max_amount": product.max_amount,
                "currency": settings.SHOP_CURRENCY,
                "available": not reason,
                "unavailable_reason": reason,
                "fields": fields_by_schema[schema],
            }
        )
    return rows


def api_orders(
    *,
    user,
    status: str = "",
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> QuerySet[ApiOrder]:
    """The reseller's API orders, newest first; only ever this reseller's."""
    orders = ApiOrder.objects.filter(user=user, order__isnull=False).select_related("order")
    if status:
        orders = orders.filter(order__status=status)
    if created_from is not None:
        orders = orders.filter(created_at__gte=created_from)
    if created_to is not None:
        orders = orders.filter(created_at__lt=created_to)
    return orders.prefetch_related("order__vouchers").order_by("-created_at", "-pk")


def api_order_get(*, user, ref_id: str) -> ApiOrder | None:
    return (
        ApiOrder.objects.filter(user=user, ref_id=ref_id, order__isnull=False)
        .select_related("order")
        .prefetch_related("order__vouchers")
        .first()
    )


def api_keys_of(*, user) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")


def callback_deliveries_of(*, user, limit: int = 50) -> list[CallbackDelivery]:
    return list(
        CallbackDelivery.objects.filter(user=user)
        .select_related("order")
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")[:limit]
    )
