"""Tripay payment gateway: maps Tripay's replies and callbacks to the shop's dataclasses."""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache

from providers.base import (
    FinalProviderError,
    GatewayAdapter,
    InvalidSignature,
    PaymentCallback,
    PaymentChannel,
    PaymentInstructions,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    TransientProviderError,
)
from providers.config import provider_base_url, require_settings
from providers.tripay import webhook
from providers.tripay.client import CODE, PRODUCTION_BASE_URL, TripayClient

CHANNELS_CACHE_SECONDS = 300
CALLBACK_STATUSES = frozenset(
    {PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.FAILED, PaymentStatus.REFUND}
)
# `transaction/detail` also answers for a payment still waiting.
DETAIL_STATUSES = CALLBACK_STATUSES | {PaymentStatus.UNPAID}


class TripayAdapter(GatewayAdapter):
    code = CODE
    takes_shop_expiry = True  # `expired_time` in the create request

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        private_key: str,
        merchant_code: str,
        client: TripayClient | None = None,
    ):
        self.base_url = base_url
        self.api_key = api_key
        self.private_key = private_key
        self.merchant_code = merchant_code
        self.client = client or TripayClient(base_url=base_url, api_key=api_key)

    @classmethod
    def from_settings(cls) -> "TripayAdapter":
        """Built from settings read now; NotConfigured names every missing variable."""
        values = require_settings(
            CODE, "TRIPAY_API_KEY", "TRIPAY_PRIVATE_KEY", "TRIPAY_MERCHANT_CODE"
        )
        base_url = provider_base_url(
            code=CODE,
            configured=settings.TRIPAY_BASE_URL,
            production=PRODUCTION_BASE_URL,
            simulator_path="/api",
        )
        return cls(
            base_url=base_url,
            api_key=values["TRIPAY_API_KEY"],
            private_key=values["TRIPAY_PRIVATE_KEY"],
            merchant_code=values["TRIPAY_MERCHANT_CODE"],
        )

    def payment_channels(self) -> list[PaymentChannel]:
        """The merchant's channels (active or not), cached for CHANNELS_CACHE_SECONDS per base
        URL and API key; Transient/FinalProviderError when Tripay cannot say."""
        fingerprint = hashlib.sha256(f"{self.base_url}|{self.api_key}".encode()).hexdigest()[:16]
        cache_key = f"tripay:payment-channels:{fingerprint}"
        rows = cache.get(cache_key)
        if rows is not None:
            return [_channel(row) for row in rows]
        rows = self.client.payment_channels().get("data")
        try:
            channels = [_channel(row) for row in rows]
        except (AttributeError, KeyError, TypeError, InvalidOperation) as exc:
            raise TransientProviderError(
                f"Tripay sent a malformed channel list: {exc!r}", code="malformed"
            ) from exc
        cache.set(cache_key, rows, CHANNELS_CACHE_SECONDS)
        return channels

    def create_payment(self, request: PaymentRequest) -> PaymentInstructions:
        """Create one Tripay transaction (sent once, never retried: see the client).

        FinalProviderError with Tripay's message when it refuses; TransientProviderError on a
        timeout or 5xx, after which the transaction may exist."""
        reply = self.client.create_transaction(
            self._create_payload(request), reference=request.merchant_ref
        )
        data = reply.get("data")
        if not isinstance(data, dict) or not data.get("reference"):
            raise TransientProviderError(
                "Tripay accepted the transaction but sent no reference", code="malformed"
            )
        return PaymentInstructions(
            reference=str(data["reference"]),
            checkout_url=data.get("checkout_url") or "",
            pay_code=str(data.get("pay_code") or ""),
            qr_url=data.get("qr_url") or "",
            qr_string=data.get("qr_string") or "",
            instructions=data.get("instructions") or [],
            status=data.get("status") or PaymentStatus.UNPAID,
            expires_at=_from_unix(data.get("expired_time")),
            raw=data,
        )

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentCallback:
        return parse_tripay_callback(body=body, headers=headers, private_key=self.private_key)

    def payment_status(self, *, reference: str) -> PaymentCallback:
        """`transaction/detail` for the Tripay reference. A reply that is not a transaction
        with a known status, or one about another reference, is a TransientProviderError:
        nothing may be concluded from it."""
        data = self.client.transaction_detail(reference).get("data")
        if not isinstance(data, dict) or str(data.get("reference") or "") != reference:
            raise TransientProviderError(
                f"Tripay's detail of {reference} is not that transaction", code="malformed"
            )
        status = _payment_status(
            data, allowed=DETAIL_STATUSES, error=TransientProviderError, code="malformed"
        )
        try:
            # The detail's `amount` is what the buyer pays (the callback's total_amount).
            return PaymentCallback(
                merchant_ref=str(data.get("merchant_ref") or ""),
                reference=reference,
                status=status,
                amount_received=_decimal(data.get("amount_received")),
                total_amount=_decimal(data.get("amount")),
                payment_method=str(data.get("payment_method") or ""),
                paid_at=_from_unix(data.get("paid_at")),
                raw=data,
                expires_at=_from_unix(data.get("expired_time")),
            )
        except (InvalidOperation, TypeError, ValueError, OverflowError, OSError) as exc:
            raise TransientProviderError(
                f"Tripay sent an unreadable detail of {reference}: {exc}", code="malformed"
            ) from exc

    def _create_payload(self, request: PaymentRequest) -> dict:
        amount = whole_rupiah(request.amount)
        # Tripay requires order_items; without any, the whole amount is one line.
        items = [
            {
                "sku": item.sku,
                "name": item.name,
                "price": whole_rupiah(item.price),
                "quantity": item.quantity,
            }
            for item in request.items
        ] or [
            {
                "sku": request.merchant_ref,
                "name": request.merchant_ref,
                "price": amount,
                "quantity": 1,
            }
        ]
        payload = {
            "method": request.method,
            "merchant_ref": request.merchant_ref,
            "amount": amount,
            "customer_name": request.customer_name,
            "customer_email": request.customer_email,
            "customer_phone": request.customer_phone,
            "order_items": items,
            "return_url": request.return_url,
            "callback_url": request.callback_url,
            "expired_time": int(request.expires_at.timestamp()) if request.expires_at else None,
            "signature": webhook.create_signature(
                private_key=self.private_key,
                merchant_code=self.merchant_code,
                merchant_ref=request.merchant_ref,
                amount=amount,
            ),
        }
        # Optional fields left out rather than sent empty: an empty callback_url or
        # expired_time would not fall back to the merchant's defaults.
        optional = ("customer_phone", "return_url", "callback_url", "expired_time")
        return {key: value for key, value in payload.items() if key not in optional or value}


def parse_tripay_callback(
    *, body: bytes, headers: Mapping[str, str], private_key: str
) -> PaymentCallback:
    """A Tripay payment-status callback, verified then parsed.

    The signature is checked on the raw bytes before anything is parsed (InvalidSignature);
    then the event must be `payment_status` and the body a valid payment status
    (ProviderError otherwise). The sandbox gateway's callbacks follow the same rule."""
    signature = webhook.header_value(headers, webhook.SIGNATURE_HEADER)
    if not webhook.verify_callback(private_key, body, signature):
        raise InvalidSignature("Tripay callback signature does not verify", code="bad_signature")
    try:
        data = json.loads(body)
    except ValueError:
        data = _NOT_JSON
    return tripay_callback_from(
        data=data, event=webhook.header_value(headers, webhook.EVENT_HEADER)
    )


_NOT_JSON = object()  # a body that did not parse: told after a wrong event, as Tripay orders them


def tripay_callback_from(*, data: object, event: str | None) -> PaymentCallback:
    """A payment-status callback built from its already parsed body and its
    `X-Callback-Event`, once its signature has verified (the callback view verifies once,
    then builds it here). Raises ProviderError when the event is not `payment_status` or the
    body is not a valid payment status."""
    if event != webhook.PAYMENT_STATUS_EVENT:
        raise ProviderError(f"unexpected Tripay callback event {event!r}", code="wrong_event")
    if data is _NOT_JSON:
        raise ProviderError("Tripay callback body is not JSON", code="invalid_payload")
    if not isinstance(data, dict) or not data.get("reference"):
        raise ProviderError("Tripay callback without a reference", code="invalid_payload")
    status = _payment_status(
        data, allowed=CALLBACK_STATUSES, error=ProviderError, code="invalid_payload"
    )
    try:
        return PaymentCallback(
            merchant_ref=str(data.get("merchant_ref") or ""),
            reference=str(data["reference"]),
            status=status,
            amount_received=_decimal(data.get("amount_received")),
            total_amount=_decimal(data.get("total_amount")),
            # The channel code (BRIVA, QRIS): `payment_method` is its display name.
            payment_method=str(data.get("payment_method_code") or data.get("payment_method") or ""),
            paid_at=_from_unix(data.get("paid_at")),
            raw=data,
        )
    except (InvalidOperation, TypeError, ValueError, OverflowError, OSError) as exc:
        raise ProviderError(f"invalid Tripay callback: {exc}", code="invalid_payload") from exc


def _payment_status(
    data: dict, *, allowed: frozenset, error: type[ProviderError], code: str
) -> PaymentStatus:
    """A Tripay reply's `status`, one of `allowed`; anything else raises `error` (the
    status check's is transient: nothing is concluded from it)."""
    try:
        status = PaymentStatus(str(data.get("status", "")).upper())
    except ValueError:
        status = None
    if status not in allowed:
        raise error(f"unknown Tripay payment status {data.get('status')!r}", code=code)
    return status


def whole_rupiah(amount: Decimal) -> int:
    """`amount` as Tripay's integer rupiah; a fraction (IDR has no cents) is refused before
    anything is sent (FinalProviderError, so the checkout cancels the order and says so)."""
    value = Decimal(amount)
    if value != value.to_integral_value():
        raise FinalProviderError(f"Tripay takes whole rupiah, not {amount}", code="invalid_amount")
    return int(value)


def _channel(row: dict) -> PaymentChannel:
    # total_fee = what the merchant and the customer pay together for this channel.
    fee = row.get("total_fee") or {}
    return PaymentChannel(
        code=str(row["code"]),
        name=str(row.get("name") or row["code"]),
        group=str(row.get("group") or ""),
        fee_flat=_decimal(fee.get("flat")) or Decimal("0"),
        fee_percent=_decimal(fee.get("percent")) or Decimal("0"),
        icon_url=row.get("icon_url") or "",
        active=bool(row.get("active", True)),
    )


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _from_unix(value) -> datetime | None:
    """A unix timestamp (int or digit string, as Tripay sends both) as an aware UTC time."""
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)
