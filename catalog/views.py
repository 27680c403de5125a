"""catalog: the home page (categories and brands), the search, and what a brand offers at the
viewer's price (what is unavailable and why); the brand page with its checkout form is orders'.
The home page and the search sell the shop's items under the shop's names (docs/catalog.md)."""

from django.db.models import Prefetch, Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog.models import Brand, Category, Product, ShopItem
from catalog.page_cache import page_fragment
from catalog.selectors import (
    brands_with_sellable_items,
    sellable_shop_items,
    shop_items_with_price,
)
from catalog.services import product_unavailable_reason
from catalog.services.items import item_usable_routes
from shop.models import PriceTier


def viewer_tier(user) -> str:
    """Retail for guests and customers; the user's own tier (reseller) otherwise."""
    return user.price_tier if user.is_authenticated else PriceTier.RETAIL


def buyer_reason(product: Product, tier: str) -> str:
    """Why a buyer cannot take `product`, in words for the buyer; empty when for sale."""
    if not product.provider.enabled or product.provider.out_of_balance_since is not None:
        return _("Temporarily unavailable from the supplier.")
    if not product.provider_active:
        return _("Out of stock at the supplier.")
    if not product.admin_active:
        return _("Not on sale at the moment.")
    if product.stock is not None and product.stock <= 0:
        return _("Out of stock at the supplier.")
    # a flexible product has no stored price: it is priced per amount at checkout
    no_price = not product.is_flexible and product.stored_price(tier) is None
    if no_price or product_unavailable_reason(product):
        return _("Temporarily unavailable.")
    return ""


def buyer_item_reason(item: ShopItem, tier: str) -> str:
    """Why a buyer cannot take shop `item`, in words for the buyer (never a provider's
    name); empty when for sale. With no usable route, what stops its first route says it."""
    routes = list(item.routes.all())
    if not item_usable_routes(item):
        reasons = [buyer_reason(product, tier) for product in routes]
        return next((reason for reason in reasons if reason), _("Temporarily unavailable."))
    # a flexible item has no stored price: it is priced per amount at checkout
    if not item.is_flexible and item.stored_price(tier) is None:
        return _("Temporarily unavailable.")
    return ""


def brand_offers(brand: Brand, tier: str) -> tuple[list, list]:
    """([(item, price)] for sale at `tier`, [(item, reason)] not for sale): the brand's
    active shop items; a flexible item's price is None (it depends on the amount the buyer
    types). Two queries: the items, their routes with providers."""
    for_sale, unavailable = [], []
    routes = Product.objects.select_related("provider").order_by("pk")
    items = (
        brand.items.filter(active=True)
        .prefetch_related(Prefetch("routes", queryset=routes))
        .order_by("price_retail", "sort_order", "name", "pk")
    )
    for item in items:
        reason = buyer_item_reason(item, tier)
        if reason:
            unavailable.append((item, reason))
        else:
            for_sale.append((item, item.stored_price(tier)))
    return for_sale, unavailable


SEARCH_LIMIT = 30


@require_GET
def home(request):
    """Categories with their brands, popular brands, and the search box. The same for every
    visitor: its content is rendered once per catalog version and language."""
    content = page_fragment(request, ("home",), _home_content)
    return render(request, "home.html", {"content": content})


def _shop_brands():
    """Brands the shop sells: those with at least one sellable shop item (postpaid bills,
    which have their own page /bills/, have none)."""
    return brands_with_sellable_items().select_related("category")


def _home_content() -> str:
    brands = _shop_brands().order_by("name")
    categories = [
        category
        for category in Category.objects.prefetch_related(Prefetch("brands", queryset=brands))
        if category.brands.all()
    ]
    context = {
        "categories": categories,
        "popular": _shop_brands().filter(is_popular=True).order_by("name")[:12],
    }
    return mark_safe(render_to_string("catalog/_home_content.html", context))  # noqa: S308


@require_GET
def search(request):
    """The shop's brands and sellable items whose names (English or Indonesian, the item's
    or its brand's) contain the query, case-insensitively; never a provider's product name.
    The results are rendered once per catalog version, language, price tier and query."""
    query = request.GET.get("q", "").strip()[:100]
    tier = viewer_tier(request.user)
    results = ""
    if query:
        results = page_fragment(
            request, ("search", tier, query), lambda: _search_results(query=query, tier=tier)
        )
    return render(request, "catalog/search.html", {"query": query, "results": results})


def _search_results(*, query: str, tier: str) -> str:
    brands = list(
        _shop_brands()
        .filter(Q(name__icontains=query) | Q(name_id__icontains=query))
        .order_by("name")[:SEARCH_LIMIT]
    )
    items = shop_items_with_price(
        sellable_shop_items()
        .filter(
            Q(name__icontains=query)
            | Q(name_id__icontains=query)
            | Q(brand__name__icontains=query)
            | Q(brand__name_id__icontains=query)
        )
        .select_related("brand"),
        tier=tier,
    ).order_by("brand__name", "sort_order", "face_value", "name", "pk")[:SEARCH_LIMIT]
    context = {"query": query, "brands": brands, "items": list(items)}
    return mark_safe(render_to_string("catalog/_search_results.html", context))  # noqa: S308
