from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    RESELLER = "reseller", "Reseller"


class PriceTier(models.TextChoices):
    RETAIL = "retail", "Retail"
    RESELLER = "reseller", "Reseller"


class User(AbstractUser):
    """A person who buys: customers pay through the gateway, resellers from their wallet."""

    role = models.CharField(max_length=16, choices=UserRole.choices, default=UserRole.CUSTOMER)
    price_tier = models.CharField(
        max_length=16, choices=PriceTier.choices, default=PriceTier.RETAIL
    )
    # Where order messages go: e-mail, or WhatsApp once `whatsapp_number` is verified.
    notify_channel = models.CharField(
        max_length=16,
        choices=[("email", "E-mail"), ("whatsapp", "WhatsApp")],
        default="email",
    )
    whatsapp_number = models.CharField(max_length=16, blank=True)  # E.164, +62…
    whatsapp_verified_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_reseller(self) -> bool:
        return self.role == UserRole.RESELLER


class Heartbeat(models.Model):
    """A periodic process's current run and that run's last sign of life (the beat: `beat`).

    A run is one start of the process: `run_id` names it, `started_at` is when it began and
    `stopped_at` when it stopped cleanly. `beat_at` is the run's last heartbeat (none yet
    just after the start). Only the latest run is kept: an earlier run's heartbeats no longer
    count, so /healthz describes the process running now.
    """

    name = models.CharField(max_length=32, unique=True)
    run_id = models.CharField(max_length=32, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} run {self.run_id or '-'}"


class NotificationLevel(models.TextChoices):
    INFO = "info", "Info"
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class Notification(models.Model):
    """An in-app message for one user, or for staff when `user` is empty."""

    user = models.ForeignKey(
        "shop.User", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    level = models.CharField(
        max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.INFO
    )
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MessageChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"


class MessageState(models.TextChoices):
    """queued → sending (claimed by one worker) → sent → delivered → read; or failed.

    A message left in `sending` (its worker died mid-call) is never sent again by itself:
    the beat marks it failed ("outcome unknown") and staff decide whether to resend it."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    FAILED = "failed", "Failed"


class StaffAlertKind(models.TextChoices):
    """What a staff alert is about: staff route each kind to Telegram chats."""

    LOW_BALANCE = "low_balance", "Provider balance low"
    PROVIDER_PAUSED = "provider_paused", "Provider paused (out of balance)"
    ORDER_REVIEW = "order_review", "Order needs review"
    RECONCILIATION = "reconciliation", "Reconciliation differences"
    LARGE_ADJUSTMENT = "large_adjustment", "Large wallet adjustment"
    CIRCUIT_OPEN = "circuit_open", "Provider circuit opened (no new orders)"
    CIRCUIT_CLOSED = "circuit_closed", "Provider circuit closed (orders again)"
    ERROR_RATE = "error_rate", "Provider error rate above the threshold"
    OTHER = "other", "Other staff notices"


class OutboundMessage(models.Model):
    """One message to one recipient on one channel for one event: the unique constraint on
    (event key, channel, recipient) makes it exist once, whatever retries the event sees.
    Created in the event's transaction; sent by `shop.tasks.outbound_message_send` after
    commit (shop/messaging/outbox.py)."""

    event_key = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=MessageChannel.choices)
    # An e-mail address, an E.164 number, a Telegram chat id; "" = the ADMINS (e-mail).
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # WhatsApp: the approved template's name, language and body parameters.
    template = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    params = models.JSONField(default=list, blank=True)
    # Holds voucher codes: only ever to the buyer's own channel; not shown in the admin.
    confidential = models.BooleanField(default=False)
    alert_kind = models.CharField(max_length=32, blank=True, choices=StaffAlertKind.choices)
    state = models.CharField(
        max_length=16, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The channel's id of the sent message (WhatsApp `wamid.…`, Telegram message_id).
    external_id = models.CharField(max_length=128, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "channel", "recipient"], name="outbound_message_once"
            ),
            models.CheckConstraint(
                condition=~Q(channel="telegram") | Q(confidential=False),
                name="outbound_message_no_codes_to_staff_chats",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbound_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient or 'staff'}: {self.event_key}"


class StaffAlertRoute(models.Model):
    """Staff alerts of one kind go to one Telegram chat (a kind may go to several)."""

    kind = models.CharField(max_length=32, choices=StaffAlertKind.choices)
    chat_id = models.CharField(
        max_length=64, help_text="The Telegram chat id (a group's is negative: -100…)."
    )
    label = models.CharField(max_length=100, blank=True, help_text="Whose chat it is.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "chat_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "chat_id"], name="staff_alert_route_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.label or self.chat_id}"


class SimulatedMessage(models.Model):
    """What the WhatsApp and Telegram simulators received (SIMULATORS_ENABLED only): the
    demo's and the tests' inbox."""

    channel = models.CharField(max_length=16, choices=MessageChannel.choices)
    external_id = models.CharField(max_length=128, unique=True)
    recipient = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    text = models.TextField(blank=True)
    # The delivery-status webhooks still to send back (WhatsApp), then when they went.
    statuses_due = models.JSONField(default=list, blank=True)
    statuses_sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}"
