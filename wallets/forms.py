"""The buyer's top-up forms: the amount within the shop's limits, and a bank transfer's receipt."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.money import format_money
from wallets.proofs import validate_deposit_proof

DEPOSIT_MIN = Decimal("10000")
DEPOSIT_MAX = Decimal("10000000")


class DepositForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        decimal_places=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1000"}),
    )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not DEPOSIT_MIN <= amount <= DEPOSIT_MAX:
            raise forms.ValidationError(
                _("Top up from %(min)s to %(max)s.")
                % {"min": format_money(DEPOSIT_MIN), "max": format_money(DEPOSIT_MAX)}
            )
        return amount


class BankTransferDepositForm(DepositForm):
    """A top-up paid by bank transfer: the amount and the transfer's receipt, which staff
    check before crediting. The receipt must be an image or a PDF by its bytes."""

    proof = forms.FileField(
        label=_("Transfer receipt (image or PDF)"), validators=[validate_deposit_proof]
    )
