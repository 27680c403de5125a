"""The Bills section: pick the bill type, type the customer number, see the bill with every
part of its price on its order page, and pay it (wallet or gateway). Logic: `orders.bills`."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog.models import DenominationType, Product
from orders.bill_forms import BillInquiryForm, BillPayForm
from orders.bills import bill_confirm, bill_inquire
from orders.checkout import checkout_payment_channels
from orders.models import Order, OrderKind, OrderStatus
from orders.selectors import order_visible_to
from orders.views import _checkout_refusal, order_page_path, remember_guest_order
from shop.errors import ApplicationError


def bill_products():
    return list(
        Product.objects.filter(
            denomination_type=DenominationType.BILL,
            provider__enabled=True,
            provider_active=True,
            admin_active=True,
        )
        .select_related("provider", "brand")
        .order_by("category__sort_order", "name")
    )


def _bills_page(request, form: BillInquiryForm, status: int = 200):
    return render(request, "orders/bills.html", {"form": form}, status=status)


@require_GET
def bills_index(request):
    form = BillInquiryForm(products=bill_products(), user=request.user)
    return _bills_page(request, form)


@require_POST
def bill_inquiry(request):
    """Ask the biller for the bill; its order page shows it (amount, fees, total) with the
    pay form. Refusals re-render the form (400) and create nothing."""
    form = BillInquiryForm(request.POST, products=bill_products(), user=request.user)
    if not form.is_valid():
        return _bills_page(request, form, status=400)
    user = request.user if request.user.is_authenticated else None
    try:
        order = bill_inquire(
            product=form.products[form.cleaned_data["product"]],
            customer_no=form.cleaned_data["customer_no"],
            user=user,
            guest_email=form.cleaned_data.get("email", ""),
        )
    except ApplicationError as exc:
        for name, errors in (exc.extra.get("fields") or {}).items():
            for error in errors:
                form.add_error(name if name in form.fields else None, _(error))
        if not exc.extra.get("fields"):
            form.add_error(None, _(exc.message))
        return _bills_page(request, form, status=400)
    if order.user_id is None:
        remember_guest_order(session=request.session, order=order)
    return redirect(order_page_path(order))


def _pay_form(request, order: Order, data=None) -> BillPayForm:
    can_use_wallet = request.user.is_authenticated and order.user_id == request.user.pk
    return BillPayForm(data, can_use_wallet=can_use_wallet, channels=checkout_payment_channels())


@require_POST
def bill_pay(request, code: str):
    """Confirm the bill shown on its order page and pay it; a second confirm pays nothing
    more and lands on the same order page."""
    order = get_object_or_404(Order, code=code, kind=OrderKind.BILL)
    if not order_visible_to(order=order, user=request.user, token=request.POST.get("t", "")):
        return redirect("orders:bills")
    form = _pay_form(request, order, request.POST)
    if form.is_valid():
        try:
            order = bill_confirm(
                order=order,
                payment_method=form.cleaned_data["payment_method"],
                user=request.user if request.user.is_authenticated else None,
                channel=form.cleaned_data.get("channel", ""),
            )
        except ApplicationError as exc:
            request.session["bill_error"] = _checkout_refusal(exc)
    elif order.status == OrderStatus.INQUIRED:
        request.session["bill_error"] = _("Choose how to pay.")
    return redirect(order_page_path(order))
