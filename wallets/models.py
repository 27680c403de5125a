"""The double-entry ledger: wallets, transfers and their legs, and deposits.

Balances change only through `wallets.services`. A transfer's legs sum to zero, legs are
never updated or deleted, and on PostgreSQL the database itself enforces both (see the
migration `ledger_guards`).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shop.money import money_field
from wallets.proofs import proof_upload_to, validate_deposit_proof


class SystemAccount(models.TextChoices):
    """The shop's own accounts; only these may go below zero."""

    SALES = "sales", "Sales"
    GATEWAY_CLEARING = "gateway_clearing", "Payment gateway clearing"
    GAME_CLEARING = "game_clearing", "Game clearing"
    SHAN_HOUSE_BANK = "shan_house_bank", "Shan house bank (SKP0101)"
    ADJUSTMENTS = "adjustments", "Manual adjustments"
    # What promotions cost: an order's discount is paid from here, so sales books the
    # list price (docs/promotions.md).
    PROMOTIONS = "promotions", "Promotions"
    # What the providers charged for delivered orders: the cost of the route that delivered.
    PROVIDER_COSTS = "provider_costs", "Provider costs"


class Wallet(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wallets",
    )
    system_code = models.CharField(  # noqa: DJ001 (NULL keeps user wallets out of the unique key)
        max_length=32, choices=SystemAccount.choices, null=True, blank=True
    )
    currency = models.CharField(max_length=3)
    # A hot system account is striped over several rows (`wallets.stripes`): each order
    # locks one stripe, and the account's balance is the sum of its stripes. User wallets
    # and the other system accounts have the one stripe 0.
    stripe = models.PositiveSmallIntegerField(default=0)
    balance = money_field(default=Decimal("0"))
    allow_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, system_code__isnull=True)
                | Q(user__isnull=True, system_code__isnull=False),
                name="wallet_owned_by_user_or_system",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=False) | Q(user__isnull=True),
                name="wallet_only_system_may_go_negative",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(allow_negative=True),
                name="wallet_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(stripe=0) | Q(user__isnull=True),
                name="wallet_only_system_accounts_striped",
            ),
            models.UniqueConstraint(fields=["user", "currency"], name="wallet_one_per_user"),
            models.UniqueConstraint(
                fields=["system_code", "currency", "stripe"],
                name="wallet_one_per_system_account_stripe",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return f"{self.user.get_username()} ({self.currency})"
        stripe = f" #{self.stripe}" if self.stripe else ""
        return f"{self.get_system_code_display()}{stripe} ({self.currency})"

    @property
    def is_system(self) -> bool:
        return self.system_code is not None


class TransferReason(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    PAYMENT = "payment", _("Gateway payment")
    REFUND = "refund", _("Refund")
    DEPOSIT = "deposit", _("Deposit")
    ADJUSTMENT = "adjustment", _("Adjustment")
    GAME_SETTLEMENT = "game_settlement", _("Game settlement")
    PROVIDER_COST = "provider_cost", _("Provider cost")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only; they cannot be deleted.")


class AppendOnlyModel(models.Model):
    """Rows are written once: saving an existing row or deleting one raises."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:  # also a new instance given an existing pk
            raise TypeError(f"{type(self).__name__} rows are append-only; they cannot change.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only; they cannot be deleted.")


class Transfer(AppendOnlyModel):
    """One movement of money: legs that sum to zero, applied once per idempotency key."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    # A digest of what was asked; the same key with different content is refused.
    fingerprint = models.CharField(max_length=64)
    reason = models.CharField(max_length=32, choices=TransferReason.choices)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    memo = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        # /metrics counts the transfers of the last hour by reason (ops/metrics.py).
        indexes = [models.Index(fields=["created_at"], name="transfer_created")]

    def __str__(self) -> str:
        return self.idempotency_key


class BalanceMutation(AppendOnlyModel):
    """One leg of a transfer: a signed amount on one wallet with its balance before and after."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="legs")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="mutations")
    amount = money_field()
    balance_before = money_field()
    balance_after = money_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="leg_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after=F("balance_before") + F("amount")),
                name="leg_balance_after_is_before_plus_amount",
            ),
        ]
        indexes = [models.Index(fields=["wallet", "id"], name="leg_wallet_history")]

    def __str__(self) -> str:
        return f"{self.wallet} {self.amount:+}"


class DepositStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Credited")
    REJECTED = "rejected", _("Rejected")


class DepositMethod(models.TextChoices):
    GATEWAY = "gateway", _("Payment gateway")
    BANK_TRANSFER = "bank_transfer", _("Manual bank transfer")


class Deposit(models.Model):
    """A top-up of a user's wallet: pending → paid → credited, or rejected."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposits"
    )
    amount = money_field()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=16, choices=DepositMethod.choices)
    status = models.CharField(
        max_length=16, choices=DepositStatus.choices, default=DepositStatus.PENDING
    )
    gateway_reference = models.CharField(max_length=100, blank=True)
    # The gateway a gateway deposit is paid at ("" before it was kept: the configured one).
    payment_gateway = models.CharField(max_length=32, blank=True)
    # Images and PDF only, by their bytes; stored under a random name (wallets/proofs.py).
    proof = models.FileField(
        upload_to=proof_upload_to, blank=True, validators=[validate_deposit_proof]
    )
    note = models.TextField(blank=True)
    # Set once when the gateway refunds a credited deposit: staff are told only then.
    refunded_at_gateway_at = models.DateTimeField(null=True, blank=True)
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="deposit"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Deposit #{self.pk} {self.amount} {self.currency} ({self.status})"
