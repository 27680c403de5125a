"""The Bills page's forms: which bill and whose (inquiry), then how to pay it (confirm).
The server checks again in `orders.bills`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.checkout import checkout_payment_channels
from orders.models import OrderStatus, PaymentMethod


class BillInquiryForm(forms.Form):
    product = forms.TypedChoiceField(label=_("Bill"), coerce=int)
    customer_no = forms.CharField(
        label=_("Customer number"),
        help_text=_("As printed on the bill: PLN customer ID, BPJS number, phone number…"),
        max_length=24,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "pattern": r"[0-9 .\-]{6,24}", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, products, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {product.pk: product for product in products}
        self.fields["product"].choices = [(p.pk, p.name) for p in products]
        if not user.is_authenticated:
            self.fields["email"] = forms.EmailField(
                label=_("E-mail"), help_text=_("Your receipt is sent here.")
            )


class BillPayForm(forms.Form):
    payment_method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("Payment channel"), required=False)

    def __init__(self, *args, can_use_wallet: bool, channels, **kwargs):
        super().__init__(*args, **kwargs)
        methods = [(PaymentMethod.GATEWAY, _("Pay online"))] if channels else []
        if can_use_wallet:
            methods.insert(0, (PaymentMethod.BALANCE, _("Wallet balance")))
        self.fields["payment_method"].choices = methods
        if methods:
            self.fields["payment_method"].initial = methods[0][0]
        self.fields["channel"].choices = [(c.code, c.name) for c in channels]


def bill_page_context(request, order) -> dict:
    """What a bill's order page adds: the pay form while it is `inquired`, and the refusal
    of the last confirm (kept in the session across its redirect)."""
    context = {"bill_error": request.session.pop("bill_error", "")}
    if order.status == OrderStatus.INQUIRED:
        can_use_wallet = request.user.is_authenticated and order.user_id == request.user.pk
        context["pay_form"] = BillPayForm(
            can_use_wallet=can_use_wallet, channels=checkout_payment_channels()
        )
    return context
