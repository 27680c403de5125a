from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from catalog.models import Brand, Category
from catalog.selectors import products_for_sale
from catalog.views import viewer_tier
from shop.health import health_report

SEARCH_LIMIT = 30


@require_GET
def home(request):
    """Categories with their brands, popular brands, and the search box."""
    brands = Brand.objects.order_by("name")
    categories = [
        category
        for category in Category.objects.prefetch_related(Prefetch("brands", queryset=brands))
        if category.brands.all()
    ]
    context = {
        "categories": categories,
        "popular": Brand.objects.filter(is_popular=True).order_by("name")[:12],
    }
    return render(request, "home.html", context)


@require_GET
def search(request):
    """Brands and products for sale whose names contain the query (case-insensitive)."""
    query = request.GET.get("q", "").strip()[:100]
    brands, products = [], []
    if query:
        brands = list(Brand.objects.filter(name__icontains=query).order_by("name")[:SEARCH_LIMIT])
        tier = viewer_tier(request.user)
        products = [
            (product, product.stored_price(tier))
            for product in products_for_sale(tier=tier)
            .filter(Q(name__icontains=query) | Q(brand__name__icontains=query))
            .order_by("brand__name", "name")[:SEARCH_LIMIT]
        ]
    context = {"query": query, "brands": brands, "products": products}
    return render(request, "catalog/search.html", context)


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for on their own (pages link static/favicon.svg)."""
    icon = settings.BASE_DIR / "static" / "favicon.ico"
    return FileResponse(icon.open("rb"), content_type="image/x-icon")


@never_cache
@require_GET
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
