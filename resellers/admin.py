import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from orders.masking import masked_order_codes
from resellers.callbacks import callback_resend
from resellers.models import ApiKey, ApiOrder, CallbackAttempt, CallbackDelivery, ResellerSettings
from resellers.services import (
    SECRET_PREFIX,
    api_key_revoke,
    clean_networks,
    reseller_rotate_secret,
)
from resellers.urlguard import UnresolvableUrl, UnsafeUrl, check_callback_url
from shop.admin_mixins import ReadOnlyAdmin, ReadOnlyInline
from shop.errors import ApplicationError


class NetworksField(forms.CharField):
    """An allow-list edited as text, one address or CIDR a line (or comma-separated), checked
    and normalised as on the reseller's API page; stored as the list the key reads."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(network) for network in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        lines = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
        try:
            return clean_networks(lines)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


class ApiKeyForm(forms.ModelForm):
    allowed_networks = NetworksField(
        required=False, help_text="IP addresses or CIDR networks, one a line; empty: anywhere."
    )
    rate_limit_per_minute = forms.IntegerField(min_value=1, max_value=100_000)

    class Meta:
        model = ApiKey
        fields = ["name", "allowed_networks", "rate_limit_per_minute"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "prefix",
        "user",
        "name",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "user__username", "name"]
    date_hierarchy = "created_at"
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # keys are made by the reseller, who alone sees the raw key

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} keys.")


class ResellerSettingsForm(forms.ModelForm):
    callback_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = ResellerSettings
        fields = ["callback_url"]

    def clean_callback_url(self) -> str:
        """The same check as the reseller's own page (resellers.urlguard): https to a public
        address where simulators are off."""
        url = self.cleaned_data["callback_url"].strip()
        if url:
            try:
                check_callback_url(url)
            except (UnsafeUrl, UnresolvableUrl) as exc:
                raise forms.ValidationError(str(exc)) from None
        return url


def _masked_secret(secret: str) -> str:
    return f"{SECRET_PREFIX}••••••" if secret else ""


@admin.register(ResellerSettings)
class ResellerSettingsAdmin(admin.ModelAdmin):
    """Signing secrets are never shown; "Rotate the signing secret" makes a new one (the old
    one keeps signing for the grace period), which the reseller reads on their API page."""

    form = ResellerSettingsForm
    list_display = ["user", "callback_url", "previous_secret_expires_at", "updated_at"]
    search_fields = ["user__username", "callback_url"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "user",
        "signing_secret",
        "previous_signing_secret",
        "previous_secret_expires_at",
    ]
    fields = [
        "user",
        "callback_url",
        "signing_secret",
        "previous_signing_secret",
        "previous_secret_expires_at",
    ]
    actions = ["rotate_secret"]

    def has_add_permission(self, request) -> bool:
        return False  # made with a fresh secret when the reseller first needs it

    @admin.display(description="Signing secret")
    def signing_secret(self, found: ResellerSettings) -> str:
        return _masked_secret(found.secret)

    @admin.display(description="Previous secret")
    def previous_signing_secret(self, found: ResellerSettings) -> str:
        return _masked_secret(found.previous_secret)

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for found in queryset.select_related("user"):
            try:
                reseller_rotate_secret(user=found.user)
            except ApplicationError as exc:
                messages.error(request, f"{found.user}: {exc.message}")
            else:
                messages.success(request, f"{found.user}: a new signing secret signs callbacks.")


@admin.register(ApiOrder)
class ApiOrderAdmin(ReadOnlyAdmin):
    list_display = ["ref_id", "user", "order", "created_at"]
    list_filter = ["order__status"]
    list_select_related = ["user", "order"]
    search_fields = ["ref_id", "order__code", "user__username"]
    date_hierarchy = "created_at"


def _attempt_masked(attempt: CallbackAttempt, text: str) -> str:
    """A reseller's reply (or our error quoting it) may echo the callback: codes masked."""
    return masked_order_codes(text, order_code=attempt.delivery.order.code)


class CallbackAttemptInline(ReadOnlyInline):
    model = CallbackAttempt
    fields = [
        "number",
        "created_at",
        "url",
        "http_status",
        "error_shown",
        "duration_ms",
        "will_retry",
    ]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="Error (codes masked)")
    def error_shown(self, attempt: CallbackAttempt) -> str:
        return _attempt_masked(attempt, attempt.error)


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "webhook_id",
        "user",
        "order",
        "event_type",
        "status",
        "attempt_count",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "order__code", "user__username"]
    date_hierarchy = "created_at"
    inlines = [CallbackAttemptInline]
    actions = ["resend"]
    exclude = ["payload"]
    readonly_fields = ["payload_shown"]

    @admin.display(description="Payload (codes masked)")
    def payload_shown(self, delivery: CallbackDelivery):
        shown = masked_order_codes(delivery.payload, order_code=delivery.order.code)
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(shown, indent=2)
        )

    @admin.action(description="Resend the selected callbacks now")
    def resend(self, request, queryset):
        for delivery in queryset:
            callback_resend(delivery=delivery)
        messages.success(request, f"Queued {queryset.count()} callbacks again.")


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    """Every attempt to deliver a reseller callback, with the reply it got."""

    list_display = [
        "delivery",
        "number",
        "url",
        "http_status",
        "duration_ms",
        "will_retry",
        "created_at",
    ]
    list_filter = ["will_retry", "http_status"]
    list_select_related = ["delivery", "delivery__order"]
    # Not searchable by error or reply: a search by a code would confirm it.
    search_fields = ["delivery__webhook_id", "delivery__order__code", "url"]
    date_hierarchy = "created_at"
    exclude = ["error", "response_body"]
    readonly_fields = ["error_shown", "response_body_shown"]

    @admin.display(description="Error (codes masked)")
    def error_shown(self, attempt: CallbackAttempt) -> str:
        return _attempt_masked(attempt, attempt.error)

    @admin.display(description="Reply body (codes masked)")
    def response_body_shown(self, attempt: CallbackAttempt):
        return format_html(
            "<pre style='white-space: pre-wrap'>{}</pre>",
            _attempt_masked(attempt, attempt.response_body),
        )
