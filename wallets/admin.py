"""The ledger in the admin: read-only, with the two money actions finance staff need, each
through wallets.services: a wallet adjustment (reason required) and deposit decisions."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from shop.admin_mixins import (
    NoDeleteMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ops_allowed,
    render_operation,
)
from shop.errors import ApplicationError
from wallets.models import BalanceMutation, Deposit, DepositMethod, DepositStatus, Transfer, Wallet
from wallets.services import deposit_credit, deposit_reject, wallet_adjust

LEDGER_INLINE_ROWS = 50


class WalletLegInline(ReadOnlyInline):
    """The wallet's latest legs (the full history is in the ledger list and the export)."""

    model = BalanceMutation
    fk_name = "wallet"
    fields = ("created_at", "transfer", "amount", "balance_before", "balance_after")
    readonly_fields = fields
    ordering = ("-pk",)
    verbose_name_plural = f"Latest {LEDGER_INLINE_ROWS} ledger legs"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("transfer")


class TransferLegInline(ReadOnlyInline):
    model = BalanceMutation
    fk_name = "transfer"
    fields = ("wallet", "amount", "balance_before", "balance_after")
    readonly_fields = fields


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        help_text="Signed: positive credits the wallet, negative debits it.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    # One form, one transfer: a double submit repeats the same idempotency key.
    token = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount must not be zero.")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    """Balances change only through wallets.services; nothing here edits money, so the page
    has no Save ("Adjust balance" is its own page)."""

    list_display = ("__str__", "user", "system_code", "stripe", "currency", "balance", "updated_at")
    list_filter = ("currency", "system_code", "allow_negative")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "system_code")
    readonly_fields = ("user", "system_code", "stripe", "currency", "balance", "allow_negative")
    date_hierarchy = "created_at"
    inlines = [WalletLegInline]
    change_form_template = "ops/wallet_change_form.html"

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, WalletLegInline) and obj is not None:
            latest = obj.mutations.order_by("-pk").values_list("pk", flat=True)[
                LEDGER_INLINE_ROWS - 1 : LEDGER_INLINE_ROWS
            ]
            floor = next(iter(latest), 0)
            kwargs["queryset"] = inline.get_queryset(request).filter(pk__gte=floor)
        return kwargs

    def get_urls(self):
        return [
            path(
                "<int:pk>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="wallets_wallet_adjust",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_adjust": ops_allowed(request, "adjust_wallet")}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def adjust_view(self, request, pk: int):
        """Adjust a balance through `wallet_adjust`, attributed to the staff member."""
        if not ops_allowed(request, "adjust_wallet"):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet, pk=pk)
        if request.method == "POST":
            form = AdjustForm(request.POST)
            if form.is_valid():
                try:
                    transfer = wallet_adjust(
                        wallet=wallet,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                        idempotency_key=f"adjust:{form.cleaned_data['token']}",
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(
                        request,
                        f"Adjusted {wallet} by {form.cleaned_data['amount']} "
                        f"({transfer.idempotency_key}).",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:wallets_wallet_change", args=[wallet.pk])
                    )
        else:
            form = AdjustForm(initial={"token": uuid.uuid4()})
        return render_operation(
            request,
            self.admin_site,
            title="Adjust balance",
            obj=wallet,
            form=form,
            intro=f"{wallet}: balance {wallet.balance}. The adjustment is a ledger transfer "
            "against the adjustments account, recorded with your name and the reason.",
        )


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("idempotency_key", "reason", "reference", "actor", "memo", "created_at")
    list_filter = ("reason",)
    list_select_related = ("actor",)
    search_fields = ("idempotency_key", "reference", "memo")
    date_hierarchy = "created_at"
    inlines = [TransferLegInline]


@admin.register(BalanceMutation)
class BalanceMutationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "wallet", "amount", "balance_before", "balance_after", "transfer")
    list_filter = ("transfer__reason", "wallet__currency")
    list_select_related = ("wallet__user", "transfer")
    search_fields = ("transfer__idempotency_key", "transfer__reference", "wallet__user__username")
    date_hierarchy = "created_at"


@admin.register(Deposit)
class DepositAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = (
        "pk",
        "user",
        "amount",
        "currency",
        "method",
        "status",
        "proof_link",
        "created_at",
    )
    list_filter = ("status", "method")
    list_select_related = ("user",)
    search_fields = ("user__username", "gateway_reference")
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "amount",
        "currency",
        "method",
        "status",
        "proof_link",
        "gateway_reference",
        "payment_gateway",
        "refunded_at_gateway_at",
        "transfer",
        "decided_by",
        "created_at",
    )
    actions = ("approve_selected", "reject_selected")

    def get_exclude(self, request, obj=None):
        # A proof may be attached to an undecided bank transfer (checked by its bytes, the
        # model field's validator); otherwise it shows only as the "view" link.
        if (
            obj is not None
            and obj.method == DepositMethod.BANK_TRANSFER
            and obj.status in (DepositStatus.PENDING, DepositStatus.PAID)
        ):
            return ()
        return ("proof",)

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj: Deposit, form, change: bool) -> None:
        """Only what the form changed (the proof, the note), and only while the deposit is
        undecided, under its row lock: an Approve or Reject that committed since the form
        was read is never written back over."""
        changed = [name for name in form.changed_data if name in ("proof", "note")]
        request._deposit_save_refused = False
        with transaction.atomic():
            current = Deposit.objects.select_for_update().get(pk=obj.pk)
            if current.status not in (DepositStatus.PENDING, DepositStatus.PAID):
                request._deposit_save_refused = True
                self.message_user(
                    request,
                    f"Deposit #{obj.pk} was already decided ({current.get_status_display()}); "
                    "nothing was changed.",
                    messages.ERROR,
                )
                return
            if changed:
                obj.updated_at = timezone.now()
                obj.save(update_fields=[*changed, "updated_at"])

    def log_change(self, request, obj, message):
        if getattr(request, "_deposit_save_refused", False):
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_deposit_save_refused", False):
            return HttpResponseRedirect(reverse("admin:wallets_deposit_change", args=[obj.pk]))
        return super().response_change(request, obj)

    def has_decide_deposit_permission(self, request) -> bool:
        return ops_allowed(request, "decide_deposit")

    @admin.display(description="Proof")
    def proof_link(self, deposit: Deposit):
        if not deposit.proof:
            return "-"
        return format_html(
            "<a href='{}' target='_blank'>view</a>", reverse("ops-deposit-proof", args=[deposit.pk])
        )

    def _decide(self, request, queryset, decide, verb: str) -> None:
        done, refused = 0, []
        for deposit in queryset.order_by("pk"):
            # A gateway deposit is the gateway's to decide, unless it reported a payment
            # the shop could not credit by itself (`paid`: the note says why).
            if (
                deposit.method != DepositMethod.BANK_TRANSFER
                and deposit.status != DepositStatus.PAID
            ):
                refused.append(
                    f"#{deposit.pk}: a gateway deposit is decided here only once it is paid"
                )
                continue
            try:
                decide(deposit=deposit, actor=request.user)
            except ApplicationError as exc:
                refused.append(f"#{deposit.pk}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} deposit(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Approve: credit through the ledger", permissions=["decide_deposit"])
    def approve_selected(self, request, queryset) -> None:
        self._decide(request, queryset, deposit_credit, "Credited")

    @admin.action(description="Reject", permissions=["decide_deposit"])
    def reject_selected(self, request, queryset) -> None:
        self._decide(
            request,
            queryset,
            lambda *, deposit, actor: deposit_reject(
                deposit=deposit, actor=actor, note=f"Rejected by {actor}"
            ),
            "Rejected",
        )
