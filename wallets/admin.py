from django.contrib import admin

from shop.admin_mixins import ReadOnlyAdmin, ReadOnlyInline
from wallets.models import BalanceMutation, Deposit, Transfer, Wallet


class WalletLegInline(ReadOnlyInline):
    model = BalanceMutation
    fk_name = "wallet"
    fields = ("created_at", "transfer", "amount", "balance_before", "balance_after")
    readonly_fields = fields
    ordering = ("-pk",)


class TransferLegInline(ReadOnlyInline):
    model = BalanceMutation
    fk_name = "transfer"
    fields = ("wallet", "amount", "balance_before", "balance_after")
    readonly_fields = fields


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    """Balances change only through wallets.services; nothing here edits money."""

    list_display = ("__str__", "user", "system_code", "currency", "balance", "updated_at")
    list_filter = ("currency", "system_code", "allow_negative")
    search_fields = ("user__username", "user__email", "system_code")
    readonly_fields = ("user", "system_code", "currency", "balance", "allow_negative")
    inlines = [WalletLegInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "reason", "reference", "actor", "created_at")
    list_filter = ("reason",)
    search_fields = ("idempotency_key", "reference", "memo")
    date_hierarchy = "created_at"
    inlines = [TransferLegInline]


@admin.register(BalanceMutation)
class BalanceMutationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "wallet", "amount", "balance_before", "balance_after", "transfer")
    list_filter = ("transfer__reason", "wallet__currency")
    search_fields = ("transfer__idempotency_key", "transfer__reference", "wallet__user__username")
    date_hierarchy = "created_at"


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "amount", "currency", "method", "status", "created_at")
    list_filter = ("status", "method")
    search_fields = ("user__username", "gateway_reference")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "amount", "currency", "method", "status", "transfer", "decided_by")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
