"""accounts: reads of the account pages."""

from datetime import date

from django.db.models import Q, QuerySet

from orders.models import Order


def orders_of(
    *,
    user,
    status: str = "",
    q: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """`user`'s orders, newest first, filtered by status, code or product name, and the
    local dates they were created between (inclusive)."""
    orders = Order.objects.filter(user=user).order_by("-created_at", "-pk")
    if status:
        orders = orders.filter(status=status)
    if q:
        orders = orders.filter(Q(code__icontains=q) | Q(product_name__icontains=q))
    if date_from:
        orders = orders.filter(created_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(created_at__date__lte=date_to)
    return orders
