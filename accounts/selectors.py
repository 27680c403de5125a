"""accounts: reads of the account pages."""

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from orders.models import Order, Voucher


def orders_of(
    *,
    user,
    status: str = "",
    q: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Order]:
    """`user`'s orders, newest first, filtered by status, code or product name, and the
    local dates they were created between (inclusive); `codes_revoked` says whether the
    provider took back a code of the order."""
    revoked = Voucher.objects.filter(order=OuterRef("pk"), revoked_at__isnull=False)
    orders = (
        Order.objects.filter(user=user)
        .annotate(codes_revoked=Exists(revoked))
        .order_by("-created_at", "-pk")
    )
    if status:
        orders = orders.filter(status=status)
    if q:
        orders = orders.filter(Q(code__icontains=q) | Q(product_name__icontains=q))
    if date_from:
        orders = orders.filter(created_at__date__gte=date_from)
    if date_to:
        orders = orders.filter(created_at__date__lte=date_to)
    return orders


def orders_with_revoked_codes(*, user, codes: list[str]) -> set[str]:
    """Which of `user`'s orders among `codes` have a code the provider took back."""
    if not codes:
        return set()
    return set(
        Voucher.objects.filter(
            order__user=user, order__code__in=codes, revoked_at__isnull=False
        ).values_list("order__code", flat=True)
    )
