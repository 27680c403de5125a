"""Operations: audited voucher reveals, reconciliation results, and the staff permissions
that the admin actions check (one place, so the groups migration can grant them)."""

from django.conf import settings
from django.db import models

from shop.money import money_field


class OpsPermission(models.Model):
    """No table: only carries the permissions the operations actions check."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the operations dashboard"),
            ("manage_orders", "Can retry, check, deliver and resend orders"),
            ("refund_orders", "Can fail and refund orders, or keep them refunded"),
            ("reveal_voucher", "Can reveal voucher codes and PINs (audited)"),
            ("adjust_wallet", "Can adjust wallet balances"),
            ("decide_deposit", "Can approve or reject deposits"),
            ("operate_providers", "Can sync catalogs and check provider balances"),
            ("reapply_webhook", "Can re-apply a webhook delivery that failed on our side"),
            ("export_data", "Can export orders and ledger rows as CSV"),
            ("run_reconciliation", "Can run the reconciliation"),
            ("resend_message", "Can resend a failed message to a buyer or a staff chat"),
        ]

    def __str__(self) -> str:
        return "operations permissions"


class StaffReveal(models.Model):
    """An append-only audit trail of secrets staff chose to see: who, from where, when."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


class VoucherReveal(StaffReveal):
    """One staff member saw one voucher's code and PIN."""

    voucher = models.ForeignKey("orders.Voucher", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.staff} revealed voucher #{self.voucher_id}"


class WebhookBodyReveal(StaffReveal):
    """One staff member saw one webhook delivery's raw body, which can carry a voucher
    code or a PLN token."""

    delivery = models.ForeignKey(
        "webhooks.WebhookDelivery", on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.staff} revealed webhook delivery #{self.delivery_id}"


class MessageResend(models.Model):
    """An append-only audit trail of failed messages staff sent again: who, when, and the
    error the message had then."""

    message = models.ForeignKey("shop.OutboundMessage", on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    error_before = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.staff} resent message #{self.message_id}"


class ReconciliationKind(models.TextChoices):
    PROVIDER = "provider", "Provider spend"
    GATEWAY = "gateway", "Gateway payments"


class ReconciliationRun(models.Model):
    """What one reconciliation compared for one provider or gateway over one window.

    `booked` and `reported` are in the provider's currency (gateway: counts of orders);
    `problems` lists each difference found (an empty list means they agree)."""

    kind = models.CharField(max_length=16, choices=ReconciliationKind.choices)
    code = models.CharField(max_length=32)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    method = models.CharField(max_length=200)
    booked = money_field(null=True, blank=True)
    reported = money_field(null=True, blank=True)
    difference = money_field(null=True, blank=True)
    # Balance read at the provider when this run was made (balance-movement providers).
    balance = money_field(null=True, blank=True)
    balance_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField()
    problems = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.window_start:%Y-%m-%d}: {'ok' if self.ok else 'difference'}"
