"""The boundary between the shop and its providers: plain dataclasses and errors, no ORM.

Upstream adapters implement `UpstreamAdapter`; payment gateways implement `GatewayAdapter`.
Callbacks and polls hand a `ProviderResult` to `orders.services.order_apply_provider_update`.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum


class ProviderStatus(StrEnum):
    SUCCESS = "SUCCESS"  # delivered: vouchers or a serial number
    PENDING = "PENDING"  # accepted, not finished: poll or wait for the callback
    FAILED = "FAILED"  # a definite failure: no goods, safe to refund
    UNKNOWN = "UNKNOWN"  # timeout, connection reset, 5xx: verify by reference, never refund
    NOT_FOUND = "NOT_FOUND"  # (check_order only) never placed: may be placed again


class FailureKind(StrEnum):
    """Why an order failed, in the shop's terms: it picks the message a buyer reads (in
    their language), while the provider's own words stay on the order for staff."""

    ACCOUNT = "account"  # the provider refused the account details the buyer typed
    UNAVAILABLE = "unavailable"  # out of stock, disrupted, or the provider out of balance
    TIMEOUT = "timeout"  # not delivered by the deadline
    STAFF = "staff"  # failed by a person
    SUPPLIER = "supplier"  # any other refusal by the provider
    REVOKED = "revoked"  # the provider took back codes it had delivered (Hubble REVERSED)


# The provider's final word that an order failed: the only answers that may refund it.
# (NOT_FOUND: the provider never got it, so nothing can be delivered.) Pending, unknown, a
# timeout or silence never refund.
FINAL_FAILURES = frozenset({ProviderStatus.FAILED, ProviderStatus.NOT_FOUND})


@dataclass(frozen=True)
class VoucherData:
    code: str = ""
    pin: str = ""
    serial: str = ""
    expires_on: date | None = None
    amount: Decimal | None = None
    provider_voucher_id: str = ""


@dataclass(frozen=True)
class ProviderResult:
    status: ProviderStatus
    provider_order_id: str = ""
    vouchers: list[VoucherData] = field(default_factory=list)
    message: str = ""
    rc: str = ""
    raw: dict = field(default_factory=dict)
    # The provider itself ran out of money (Hubble E300, Digiflazz rc 44, FoxReload
    # BalanceNotEnough): the shop stops selling its products until a balance check passes.
    provider_out_of_balance: bool = False
    # A FAILED result's kind where the provider's code tells it; empty: SUPPLIER.
    failure_kind: str = ""
    # (With FAILED) the provider called off an order it may have delivered (Hubble REVERSED,
    # CANCELLED): vouchers it delivered are void, and the order goes to a person, never
    # refunded by itself (orders.services.order_apply_provider_update).
    revokes_delivery: bool = False


@dataclass(frozen=True)
class CatalogItem:
    """One sellable item in a provider's price list, mapped to the shop's words."""

    sku: str
    name: str
    brand: str
    category: str
    cost: Decimal  # FIXED: the item's cost; FLEXIBLE: cost of one unit of face value
    currency: str
    active: bool
    denomination_type: str = "fixed"  # catalog.models.DenominationType values
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    description: str = ""
    brand_image_url: str = ""
    input_schema: str = ""  # catalog.models.InputSchema value, "" when the provider can't say
    stock: int | None = None  # the provider's stock; None: unlimited or not said
    # The provider's daily cut-off (no orders from start to end, shop time; may run past
    # midnight); None when it has none.
    cutoff_start: time | None = None
    cutoff_end: time | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OrderRequest:
    reference: str  # our order code: the provider's idempotency key
    sku: str
    customer_no: str
    customer_data: dict = field(default_factory=dict)
    amount: Decimal | None = None  # face amount of a FLEXIBLE item
    max_price: Decimal | None = None  # the cost we priced with, where the provider takes it
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    # A postpaid bill inquired under `reference`: placing it pays the bill (docs/bills.md).
    postpaid: bool = False
    provider_order_id: str = ""  # known once placed (FoxReload and Hubble look up by it)
    # Called with the provider's order id as soon as the provider gives one, before the
    # placement goes on (FoxReload creates, then pays: the id must outlive a crash between).
    on_provider_order_id: Callable[[str], None] | None = field(
        default=None, compare=False, repr=False
    )


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = "", raw: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.raw = raw or {}


class TransientProviderError(ProviderError):
    """Timeout, connection error, 5xx, 429, malformed reply: try later; an order's state is
    unknown."""


class FinalProviderError(ProviderError):
    """A documented rejection: the request was refused and no order exists."""


class NotConfigured(ProviderError):
    """The provider's credentials are not in the environment."""


class InvalidSignature(ProviderError):
    """A callback's signature did not verify."""


@dataclass(frozen=True)
class AccountInfo:
    name: str  # the account holder / nickname shown to the buyer
    # e.g. PLN: {"meter_no", "subscriber_id", "segment_power"}
    extra: dict[str, str] = field(default_factory=dict)


class AccountNotFound(FinalProviderError):
    """The provider says no such account (the buyer typed a wrong id)."""


@dataclass(frozen=True)
class PollPhase:
    """Ask every `every`, up to `until` after the order's first request."""

    every: timedelta
    until: timedelta


# After the deadline (every provider unless it says otherwise): every 10 minutes up to two
# hours after the first request, then hourly; the hard stop is 72 hours.
SLOW_POLLS = (
    PollPhase(every=timedelta(minutes=10), until=timedelta(hours=2)),
    PollPhase(every=timedelta(hours=1), until=timedelta(hours=72)),
)
HARD_STOP = timedelta(hours=72)
# An unknown outcome is looked up by reference no sooner than this after the call that left
# it unknown (a provider in trouble is not hammered).
VERIFY_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class PendingRule:
    """How long the shop waits on an order its provider has not finished, as data.

    The money rule behind it: an order is refunded only when its provider says it failed
    (or a person decides). Pending, unknown, a timeout or silence never refunds:
    - `polls`: the normal schedule (phases, from the first request);
    - `deadline`: a last status call is made then; an order still not settled goes to
      `needs_review` ("still pending at <provider> after N minutes") and staff are told;
    - `slow_polls`: the schedule after the deadline, continuing from it; a final answer
      (poll or callback) still settles the order the normal way;
    - `hard_stop`: the last status call; after it polling stops and staff are told;
    - `reference_max_age`: a reference older than this (from the order's creation) is
      never sent again (Digiflazz treats a ref_id older than 90 days as a new one);
    - `verify_after`: an unknown outcome is looked up no sooner than this.
    """

    polls: tuple[PollPhase, ...]
    deadline: timedelta
    slow_polls: tuple[PollPhase, ...] = SLOW_POLLS
    hard_stop: timedelta = HARD_STOP
    reference_max_age: timedelta | None = None
    verify_after: timedelta = VERIFY_AFTER

    def __post_init__(self):
        if not timedelta(0) < self.deadline <= self.hard_stop:
            raise ValueError(
                "a pending rule's deadline must fall between the first request and its stop"
            )
        if any(phase.every <= timedelta(0) for phase in (*self.polls, *self.slow_polls)):
            raise ValueError("a pending rule's polls must move forward in time")

    def offsets(self) -> Iterator[timedelta]:
        """Every status call's time after the first request, in order: the normal polls
        (before the deadline), the deadline, the slow polls and the hard stop."""
        yield from _phase_offsets(self.polls, start=timedelta(0), stop=self.deadline)
        yield self.deadline
        yield from _phase_offsets(self.slow_polls, start=self.deadline, stop=self.hard_stop)
        if self.hard_stop > self.deadline:
            yield self.hard_stop

    def next_poll_at(self, *, first_requested_at: datetime, after: datetime) -> datetime | None:
        """The first status call strictly after `after` (missed ones are skipped, never
        made up in a burst); None once the hard stop is behind."""
        for offset in self.offsets():
            if first_requested_at + offset > after:
                return first_requested_at + offset
        return None

    def deadline_at(self, *, first_requested_at: datetime) -> datetime:
        return first_requested_at + self.deadline

    def hard_stop_at(self, *, first_requested_at: datetime) -> datetime:
        return first_requested_at + self.hard_stop

    def reference_expired(self, *, created_at: datetime, now: datetime) -> bool:
        return self.reference_max_age is not None and now - created_at > self.reference_max_age


def _phase_offsets(
    phases: tuple[PollPhase, ...], *, start: timedelta, stop: timedelta
) -> Iterator[timedelta]:
    """Offsets of `phases` after `start`, strictly before `stop`; each phase counts from
    where the one before it ended (its `until`), so "hourly" falls on the hour."""
    begin = start
    for phase in phases:
        at = begin
        while at + phase.every <= phase.until and at + phase.every < stop:
            at += phase.every
            yield at
        begin = max(begin, phase.until)


# Hubble's rule (docs/pipeline.md): first poll one minute after placing, then every 3 minutes,
# 5 polls in all; the deadline 15 minutes after the first request.
DEFAULT_PENDING_RULE = PendingRule(
    polls=(
        PollPhase(every=timedelta(minutes=1), until=timedelta(minutes=1)),
        PollPhase(every=timedelta(minutes=3), until=timedelta(minutes=13)),
    ),
    deadline=timedelta(minutes=15),
)


class UpstreamAdapter(ABC):
    """An upstream supplier. Its pending-order schedule is data here (`pending_rule`), not
    in the tasks: by default Hubble's rule (docs/pipeline.md)."""

    code: str
    # False where the provider's API has no balance endpoint (balance checks skip it).
    reports_balance = True
    # False where an order can be looked up only by the provider's own id (FoxReload).
    looks_up_by_reference = True
    pending_rule: PendingRule = DEFAULT_PENDING_RULE

    @abstractmethod
    def fetch_catalog(self) -> Iterable[CatalogItem]: ...

    @abstractmethod
    def place_order(self, request: OrderRequest) -> ProviderResult:
        """Place once. Errors become results: FAILED for a definite rejection, UNKNOWN for
        anything that may have created an order."""

    @abstractmethod
    def check_order(self, request: OrderRequest) -> ProviderResult:
        """Look the order up by reference (or provider order id); NOT_FOUND if never placed."""

    @abstractmethod
    def get_balance(self) -> Balance: ...

    def looks_up_accounts(self, *, brand: str, input_schema: str) -> bool:
        """Whether account_lookup can check accounts of this shop brand (by name, case- and
        punctuation-insensitive, e.g. "Mobile Legends", "MOBILE LEGENDS", "PLN")."""
        return False

    def account_lookup(
        self, *, brand: str, input_schema: str, fields: dict[str, str]
    ) -> AccountInfo:
        """Ask the provider whose account `fields` name. AccountNotFound when it says none;
        TransientProviderError for timeouts/5xx/garbage; FinalProviderError otherwise."""
        raise NotImplementedError


@dataclass(frozen=True)
class PaymentChannel:
    code: str  # e.g. QRIS, BRIVA
    name: str
    group: str = ""
    fee_flat: Decimal = Decimal("0")
    fee_percent: Decimal = Decimal("0")
    icon_url: str = ""
    active: bool = True


@dataclass(frozen=True)
class PaymentItem:
    sku: str
    name: str
    price: Decimal
    quantity: int = 1


@dataclass(frozen=True)
class PaymentRequest:
    merchant_ref: str  # our order or deposit code
    amount: Decimal
    method: str
    customer_name: str
    customer_email: str
    customer_phone: str = ""
    items: list[PaymentItem] = field(default_factory=list)
    return_url: str = ""
    callback_url: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentInstructions:
    """What the buyer needs to pay; kept on the order so a refreshed page still shows it."""

    reference: str  # the gateway's reference
    checkout_url: str = ""
    pay_code: str = ""
    qr_url: str = ""
    qr_string: str = ""
    instructions: list = field(default_factory=list)
    status: str = "UNPAID"
    expires_at: datetime | None = None
    raw: dict = field(default_factory=dict)


class PaymentStatus(StrEnum):
    PAID = "PAID"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    REFUND = "REFUND"
    UNPAID = "UNPAID"


@dataclass(frozen=True)
class PaymentCallback:
    """A gateway's word on one payment: a callback, or the answer to `payment_status`."""

    merchant_ref: str
    reference: str
    status: PaymentStatus
    amount_received: Decimal | None
    total_amount: Decimal | None
    payment_method: str = ""
    paid_at: datetime | None = None
    raw: dict = field(default_factory=dict)
    # When the gateway stops taking the payment (a status answer carries it; a callback not).
    expires_at: datetime | None = None


class GatewayAdapter(ABC):
    code: str
    # Whether `create_payment` hands the request's `expires_at` to the gateway (Tripay's
    # `expired_time`), so the gateway closes the payment at the shop's expiry.
    takes_shop_expiry: bool = False

    @abstractmethod
    def payment_channels(self) -> list[PaymentChannel]: ...

    @abstractmethod
    def create_payment(self, request: PaymentRequest) -> PaymentInstructions: ...

    @abstractmethod
    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentCallback:
        """Verify the signature on the raw bytes (InvalidSignature), then parse."""

    @abstractmethod
    def payment_status(self, *, reference: str) -> PaymentCallback:
        """Ask the gateway where the payment `reference` (the gateway's own reference) stands:
        UNPAID, PAID, EXPIRED, FAILED or REFUND, with its amounts and expiry.

        TransientProviderError when the gateway cannot answer now (timeout, 5xx, a reply
        that cannot be read); FinalProviderError when it refuses the question (unknown
        reference, bad credentials). Either way nothing may be concluded about the payment."""
