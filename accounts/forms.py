from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from orders.models import OrderStatus
from shan.players import shan_is_house_bank_code
from shop.models import User


class SignupForm(UserCreationForm):
    """A new customer (retail prices); resellers are made by staff."""

    email = forms.EmailField(label=_("E-mail"), help_text=_("For receipts and password reset."))

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = super().clean_username()
        # The game provider's house bank: a user of that name would pass for the house.
        if shan_is_house_bank_code(username):
            raise forms.ValidationError(_("This user name is reserved."))
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail already exists."))
        return email


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *OrderStatus.choices]
    )
    q = forms.CharField(label=_("Order code or product"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
