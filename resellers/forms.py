from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="For you, e.g. “bot”.")
    allowed_networks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: IP addresses or CIDR networks, one per line or comma-separated.",
    )
    rate_limit_per_minute = forms.IntegerField(min_value=1, max_value=100_000, initial=600)

    def networks(self) -> list[str]:
        raw = self.cleaned_data["allowed_networks"].replace(",", "\n")
        return [line.strip() for line in raw.splitlines() if line.strip()]


class CallbackUrlForm(forms.Form):
    callback_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
