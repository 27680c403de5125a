"""Reseller API reads: the price list (shop items) at a tier, a reseller's orders and callbacks."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from catalog.input_schemas import schema_fields
from catalog.models import Product, ShopItem
from catalog.services.items import item_usable_routes, route_static_reason
from promotions.selectors import flash_sales_active
from resellers.models import ApiKey, ApiOrder, CallbackDelivery


def _item_unavailable_reason(item: ShopItem, tier: str) -> str:
    """Why a reseller cannot order `item` at `tier` now; empty when it may. Never a
    provider's name: a reason of a route that names its provider is said as "temporarily
    unavailable at the supplier"."""
    if not item.active:
        return "deactivated by an admin"
    if not item_usable_routes(item):
        reasons = {route_static_reason(product) for product in item.routes.all()}
        reasons = {
            "temporarily unavailable at the supplier" if r.startswith("provider ") else r
            for r in reasons
        }
        return reasons.pop() if len(reasons) == 1 else "no route may be used"
    if not item.is_flexible and item.stored_price(tier) is None:
        return item.unavailable_reason or "not priced for your tier"
    return ""


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
    """Every active shop item, at `tier`, with its availability and the fields
    `customer_data` needs; filtered by category and brand slug. `id` (deprecated, for
    resellers who order by `product_id`) is a provider product of the item, which the
    order services resolve to this item; order by `item_id`. Two queries (items, their
    routes with providers)."""
    items = (
        ShopItem.objects.filter(active=True)
        .select_related("brand__category", "category")
        .prefetch_related(
            Prefetch("routes", queryset=Product.objects.select_related("provider").order_by("pk"))
        )
    )
    if category:
        items = items.filter(
            Q(category__slug=category) | Q(category__isnull=True, brand__category__slug=category)
        )
    if brand:
        items = items.filter(brand__slug=brand)
    fields_by_schema: dict[str, list] = {}
    rows = []
    for item in items.order_by("brand__name", "sort_order", "name", "pk"):
        schema = item.brand.input_schema
        if schema not in fields_by_schema:
            fields_by_schema[schema] = schema_fields(schema)
        price: Decimal | None = None if item.is_flexible else item.stored_price(tier)
        reason = _item_unavailable_reason(item, tier)
        listed_category = item.category or item.brand.category
        routes = list(item.routes.all())
        rows.append(
            {
                "item_id": item.pk,
                "id": routes[0].pk if routes else None,
                "name": item.name,
                "brand": item.brand.slug,
                "brand_name": item.brand.name,
                "category": listed_category.slug if listed_category else None,
                "denomination_type": item.denomination_type,
                "price": None if reason else price,
                "min_amount": item.min_amount,
                "max_amount": item.max_amount,
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
