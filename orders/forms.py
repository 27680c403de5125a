"""Checkout and deposit forms. The account fields come from the brand's input schema with
their HTML checks (pattern, inputmode, required); the server checks again in `order_create`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from catalog.amounts import AMOUNT_STEP, validate_flexible_amount
from catalog.input_schemas import schema_fields, validate_customer_input
from catalog.models import Brand, InputSchema
from orders.account_checks import (
    account_check_refusal,
    account_check_refusal_message,
    storefront_rate_limits,
)
from orders.checkout_token import checkout_token_read
from orders.models import PaymentMethod
from orders.purchase import Purchase
from providers.account_check import AccountCheck, account_check
from shop.phones import InvalidPhone, indonesian_mobile_e164


class CheckoutForm(forms.Form):
    """`items`: (shop item, price) pairs for sale to this buyer; `channels`: the gateway's
    payment channels; `wallet_balance`: None for guests (no wallet option, e-mail asked).
    `amount` is the face amount of a flexible item, required and checked against its
    range and step only when one is chosen (None otherwise). A bound form needs the
    `request`: its `checkout_token` (a hidden input, one per view of the page) must be one
    issued to this browser; `cleaned_data["checkout_token"]` is what the order stores, and
    `cleaned_data["shown_price"]` the price the page showed for the chosen item (None for
    a flexible one, whose price follows the amount)."""

    item = forms.TypedChoiceField(label=_("Item"), coerce=int, widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": str(AMOUNT_STEP)}),
    )

    def __init__(self, *args, brand: Brand, items, user, channels, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        # The account check made when the form was cleaned (None: not made).
        self.account_check: AccountCheck | None = None
        self.brand = brand
        self.user = user
        self.items = {item.pk: item for item, _price in items}
        self.fields["item"].choices = [(item.pk, item.localized_name()) for item, _price in items]
        self.account_fields = []
        gift_card = brand.input_schema == InputSchema.EMAIL
        # A gift card goes to whoever the buyer names; other items to the buyer's own account.
        self.account_legend = _("Gift card recipient") if gift_card else _("Your account")
        for spec in schema_fields(brand.input_schema):
            attrs = {"inputmode": spec.input_mode, "autocomplete": "off"}
            if spec.pattern:
                attrs["pattern"] = spec.pattern
            if spec.choices:
                attrs = {"autocomplete": "off"}
                field = forms.ChoiceField(
                    label=_(spec.label),
                    help_text=_(spec.help_text),
                    choices=[("", _("Choose…"))]
                    + [(choice.value, _(choice.label)) for choice in spec.choices],
                )
            elif spec.input_mode == "email":
                field = forms.EmailField(label=_(spec.label), help_text=_(spec.help_text))
            else:
                field = forms.CharField(
                    label=_(spec.label), help_text=_(spec.help_text), max_length=100
                )
            field.widget.attrs.update(attrs)
            self.fields[spec.name] = field
            self.account_fields.append(spec.name)
        if not user.is_authenticated:
            # A guest gives a WhatsApp number or an e-mail address (either is enough).
            self.fields["buyer_whatsapp"] = forms.CharField(
                label=_("Your WhatsApp number"),
                required=False,
                max_length=20,
                help_text=_("We send the order link and your codes to this WhatsApp number."),
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            )
            # not "email": a gift card's recipient field already has that name
            self.fields["buyer_email"] = forms.EmailField(
                label=_("Your e-mail"),
                required=False,
                help_text=(
                    _("We send your receipt, the order link and a copy of the code here.")
                    if gift_card
                    else _("We send the order link and your codes here.")
                ),
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
        methods = []
        if channels:
            methods.append((PaymentMethod.GATEWAY, _("Pay online")))
        if user.is_authenticated:
            methods.append((PaymentMethod.BALANCE, _("Pay from my wallet")))
        self.fields["payment_method"] = forms.ChoiceField(
            label=_("Payment"),
            choices=methods,
            widget=forms.RadioSelect,
            initial=methods[0][0] if methods else None,
        )
        self.fields["promo_code"] = forms.CharField(
            label=_("Promo code"),
            required=False,
            max_length=40,
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
            ),
        )
        self.fields["channel"] = forms.ChoiceField(
            label=_("Payment channel"),
            choices=[(c.code, c.name) for c in channels],
            required=False,
            initial=channels[0].code if channels else None,
        )

    def clean_buyer_whatsapp(self) -> str:
        number = self.cleaned_data.get("buyer_whatsapp", "").strip()
        if not number:
            return ""
        try:
            return indonesian_mobile_e164(number)
        except InvalidPhone as exc:
            raise ValidationError(exc.message) from None

    def clean(self):
        cleaned = super().clean()
        self._check_account_fields(cleaned)
        self._check_guest_contact(cleaned)
        token = checkout_token_read(request=self.request, token=self.data.get("checkout_token", ""))
        if token is None:
            self.add_error(None, _("This page has expired. Please reload it and try again."))
        cleaned["checkout_token"] = token.value if token is not None else None
        cleaned["shown_price"] = (
            token.prices.get(cleaned.get("item")) if token is not None else None
        )
        item = self.items.get(cleaned.get("item"))
        if token is not None and item is not None and not item.is_flexible:
            if cleaned["shown_price"] is None:  # not on the page this token was shown with
                self.add_error(None, _("This page has expired. Please reload it and try again."))
        if item is None or not item.is_flexible:
            cleaned["amount"] = None
            return cleaned
        if "amount" in self.errors:  # not a number at all
            return cleaned
        try:  # the rule the order services (and so the reseller API) apply too
            validate_flexible_amount(product=item, amount=cleaned.get("amount"))
        except forms.ValidationError as exc:
            self.add_error("amount", exc)
        return cleaned

    def _check_guest_contact(self, cleaned: dict) -> None:
        """A guest must leave a way to reach them: a WhatsApp number or an e-mail address."""
        if self.user.is_authenticated or "buyer_whatsapp" in self.errors:
            return
        if "buyer_email" in self.errors:
            return
        if not cleaned.get("buyer_whatsapp") and not cleaned.get("buyer_email"):
            self.add_error(
                "buyer_whatsapp",
                _("Enter a WhatsApp number or an e-mail address (either is enough)."),
            )

    def _check_account_fields(self, cleaned: dict) -> None:
        """The brand's schema checks, now, beside any other field's error: a buyer sees
        every mistake in one answer (order_create checks again)."""
        typed = {name: cleaned[name] for name in self.account_fields if name in cleaned}
        try:
            customer = validate_customer_input(schema=self.brand.input_schema, data=typed)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in typed:  # a field with its own error already says what is wrong
                    for message in messages:
                        self.add_error(name, message)
            return
        self._check_account(customer.fields)

    def _check_account(self, fields: dict) -> None:
        """The account check on submit (so it happens without JavaScript too), under the
        address's limit; a refusal (not found, unconfirmed, too many checks) is a form
        error. The order services ask again, and get this answer from the cache."""
        if self.request is None:
            return
        self.account_check = account_check(
            brand=self.brand, fields=fields, rate_limits=storefront_rate_limits(self.request)
        )
        refusal = account_check_refusal(brand=self.brand, result=self.account_check)
        if refusal is not None:
            self.add_error(None, account_check_refusal_message(refusal))

    def customer_data(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.account_fields}

    def selected_item(self):
        return self.items[self.cleaned_data["item"]]

    def purchase(self, *, user) -> Purchase:
        """The buyer's choice from the valid form; `user` is the signed-in buyer or None."""
        data = self.cleaned_data
        return Purchase(
            item=self.selected_item(),
            customer_data=self.customer_data(),
            payment_method=data["payment_method"],
            user=user,
            guest_email=data.get("buyer_email", ""),
            guest_phone=data.get("buyer_whatsapp", ""),
            channel=data.get("channel", ""),
            amount=data["amount"],
            checkout_token=data["checkout_token"],
            shown_price=data["shown_price"],
            promo_code=data.get("promo_code", "").strip(),
        )

    def add_service_errors(self, fields: dict) -> None:
        """Show `ApplicationError.extra["fields"]` next to the fields they name."""
        for name, messages in fields.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, _(message))


# The input schemas' words, for makemessages (they are translated where they are shown).
_SCHEMA_WORDS = [
    gettext_noop("User ID"),
    gettext_noop("The numeric ID shown in your game profile."),
    gettext_noop("Zone ID"),
    gettext_noop("The number in brackets after your user ID."),
    gettext_noop("Phone number"),
    gettext_noop("An Indonesian mobile number, e.g. 0812 3456 7890."),
    gettext_noop("Meter number"),
    gettext_noop("The 11 or 12 digit number on your PLN meter or token receipt."),
    gettext_noop("Recipient's e-mail"),
    gettext_noop("We e-mail the gift card to this address (your own, to keep it)."),
    gettext_noop("Account"),
    gettext_noop("The account the item is delivered to."),
]
