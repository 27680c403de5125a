from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orders.models import Order, OrderStatus
from orders.selectors import order_visible_to

FINAL_STATUSES = {
    OrderStatus.SUCCESS,
    OrderStatus.REFUNDED,
    OrderStatus.EXPIRED,
    OrderStatus.CANCELLED,
}


@require_GET
def order_detail(request, code: str):
    """The order page: status, codes, payment instructions, refund note (refreshes itself
    until the order is final)."""
    order = Order.objects.filter(code=code).select_related("user").first()
    if order is None or not order_visible_to(
        order=order, user=request.user, token=request.GET.get("t", "")
    ):
        raise Http404("No such order.")
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "vouchers": order.vouchers.all(),
            "is_final": order.status in FINAL_STATUSES,
        },
    )
