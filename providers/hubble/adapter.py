"""Hubble gift cards behind the UpstreamAdapter interface (docs/providers/hubble.md).

Before an order is sent, the brand's restrictions are checked against a per-process copy of
the brand list (providers.hubble.catalog.BrandDirectory, refreshed every 10 minutes or when
a brand is missing). If that list cannot be fetched the order is sent unchecked: Hubble
validates it too, and its E1xx answer is a definite rejection either way.
"""

import logging
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from django.conf import settings

from providers.base import (
    Balance,
    CatalogItem,
    FinalProviderError,
    OrderRequest,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    TransientProviderError,
    UpstreamAdapter,
    VoucherData,
)
from providers.config import provider_base_url, require_settings
from providers.http import ALWAYS_REDACTED, HttpReply, redact
from providers.hubble.catalog import (
    CURRENCY,
    BrandDirectory,
    brand_catalog_items,
    order_problem,
    to_decimal,
)
from providers.hubble.client import CODE, REDACT_KEYS, HubbleAuthError, HubbleClient
from providers.hubble.errors import (
    error_from_reply,
    failure_kind,
    order_lookup_status,
    place_order_status,
)

logger = logging.getLogger(__name__)

PRODUCTION_URL = "https://api.myhubble.money"
STAGING_URL = "https://api.dev.myhubble.money"
MAX_REFERENCE_LENGTH = 40
MAX_CATALOG_PAGES = 500  # a cursor that never ends is a provider bug, not a reason to hang
FAILED_STATUSES = frozenset({"FAILED", "CANCELLED", "REVERSED"})
# Statuses that, after a SUCCESS, take back the vouchers Hubble delivered.
REVOKING_STATUSES = frozenset({"CANCELLED", "REVERSED"})
_LOG_REDACTED = ALWAYS_REDACTED | {key.lower() for key in REDACT_KEYS}


class _Rejected(Exception):
    """The order breaks a rule we can check before sending it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class HubbleAdapter(UpstreamAdapter):
    code = CODE

    def __init__(self, client: HubbleClient, brands: BrandDirectory | None = None):
        self.client = client
        self.brands = brands or BrandDirectory(
            key=f"{client.base_url}|{client.client_id}", load=self._all_brands
        )

    @classmethod
    def from_settings(cls) -> "HubbleAdapter":
        values = require_settings(CODE, "HUBBLE_CLIENT_ID", "HUBBLE_CLIENT_SECRET")
        base_url = provider_base_url(
            code=CODE,
            configured=settings.HUBBLE_BASE_URL,
            production=PRODUCTION_URL,
            simulator_path="",
        )
        return cls(
            HubbleClient(
                base_url=base_url,
                client_id=values["HUBBLE_CLIENT_ID"],
                client_secret=values["HUBBLE_CLIENT_SECRET"],
            )
        )

    # --- catalog ----------------------------------------------------------------------
    def fetch_catalog(self) -> list[CatalogItem]:
        """Every brand on every page (ACTIVE and INACTIVE) as catalog items.
        TransientProviderError / FinalProviderError when a page cannot be read."""
        brands = self._all_brands()
        self.brands.remember(brands)
        return [item for brand in brands for item in brand_catalog_items(brand)]

    def _all_brands(self) -> list[dict]:
        return list(self._brand_pages())

    def _brand_pages(self) -> Iterator[dict]:
        cursor, seen = None, set()
        for _page in range(MAX_CATALOG_PAGES):
            body = _read_json(self._read(self.client.list_products, cursor=cursor))
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise TransientProviderError("Hubble products page has no data list")
            yield from (brand for brand in data if isinstance(brand, dict))
            cursor = body.get("nextCursor")
            if not cursor:
                return
            if cursor in seen:
                raise TransientProviderError(f"Hubble repeated the page cursor {cursor!r}")
            seen.add(cursor)
        raise TransientProviderError(f"Hubble products had more than {MAX_CATALOG_PAGES} pages")

    # --- orders -----------------------------------------------------------------------
    def place_order(self, request: OrderRequest) -> ProviderResult:
        """Send the order once. FAILED when it breaks a brand rule (not sent) or Hubble
        rejects it (E1xx, E300, E001, refused credentials); UNKNOWN when it may exist."""
        try:
            body = self._order_body(request)
        except _Rejected as rejected:
            return ProviderResult(
                ProviderStatus.FAILED,
                message=rejected.message,
                rc=rejected.code,
                failure_kind=failure_kind(rejected.code),
            )
        try:
            reply = self.client.create_order(body, reference=request.reference)
        except HubbleAuthError as exc:
            return ProviderResult(ProviderStatus.FAILED, message=exc.message, rc=exc.code)
        except TransientProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message, rc=exc.code)
        return self._order_result(reply, on_error=place_order_status)

    def check_order(self, request: OrderRequest) -> ProviderResult:
        """By Hubble's order id when known, else by our reference. NOT_FOUND on a 404 (never
        placed: the same reference may be sent again); UNKNOWN when no answer came."""
        try:
            if request.provider_order_id:
                reply = self.client.get_order(
                    request.provider_order_id, reference=request.reference
                )
            else:
                reply = self.client.get_order_by_reference(request.reference)
        except ProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message, rc=exc.code)
        return self._order_result(reply, on_error=order_lookup_status)

    def _order_body(self, request: OrderRequest) -> dict:
        if not request.reference or len(request.reference) > MAX_REFERENCE_LENGTH:
            raise _Rejected("reference", f"referenceId must be 1 to {MAX_REFERENCE_LENGTH} chars")
        brand_id, amount = _brand_and_amount(request)
        problem = self._brand_problem(brand_id, amount)
        if problem:
            raise _Rejected(*problem)
        return {
            "productId": brand_id,
            "referenceId": request.reference,
            "amount": _json_number(amount),
            "denominationDetails": [{"denomination": _json_number(amount), "quantity": 1}],
            "customerDetails": {
                "name": request.customer_name,
                "phoneNumber": request.customer_phone,
                "email": _recipient_email(request),
            },
        }

    def _brand_problem(self, brand_id: str, amount: Decimal) -> tuple[str, str] | None:
        try:
            brand = self.brands.get(brand_id)
        except ProviderError as exc:
            logger.warning("hubble: brand list unavailable (%s); order sent unchecked", exc)
            return None
        if brand is None:
            return "E001", f"brand {brand_id} is not in Hubble's brand list"
        return order_problem(brand, amount)

    def _order_result(self, reply: HttpReply, *, on_error) -> ProviderResult:
        """An order reply as a result; `on_error` reads an error reply (errors.py)."""
        if not reply.ok:
            error = error_from_reply(reply)
            # Whatever the body says, a 429 or 5xx never proves the order's fate.
            transient = reply.status == 429 or reply.status >= 500
            status = ProviderStatus.UNKNOWN if transient else on_error(error)
            return ProviderResult(
                status,
                message=error.describe(),
                rc=error.id or f"http_{reply.status}",
                raw=_log_safe(error.body),
                provider_out_of_balance=(
                    status == ProviderStatus.FAILED and error.is_insufficient_balance
                ),
                failure_kind=failure_kind(error.id) if status == ProviderStatus.FAILED else "",
            )
        try:
            body = reply.json()
        except TransientProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message, rc=exc.code)
        if not isinstance(body, dict):
            return ProviderResult(ProviderStatus.UNKNOWN, message="Hubble order reply is no object")
        return order_result(body)

    # --- balance ----------------------------------------------------------------------
    def get_balance(self) -> Balance:
        body = _read_json(self._read(self.client.wallet_balance))
        amount = to_decimal(body.get("balance")) if isinstance(body, dict) else None
        if amount is None:
            raise TransientProviderError("Hubble balance reply has no balance")
        return Balance(amount=amount, currency=CURRENCY)

    @staticmethod
    def _read(call, **kwargs) -> HttpReply:
        """The reply of a read; refused credentials are a FinalProviderError."""
        try:
            return call(**kwargs)
        except HubbleAuthError as exc:
            raise FinalProviderError(exc.message, code=exc.code) from exc


def order_result(order: dict) -> ProviderResult:
    """An Order object as a ProviderResult.

    SUCCESS with vouchers → SUCCESS; PROCESSING → PENDING; FAILED, CANCELLED, REVERSED →
    FAILED (with failureReason). A SUCCESS without vouchers is UNKNOWN: polls keep fetching
    them (never closing an order with nothing to deliver) and the deadline never refunds
    it; still without vouchers an hour past the deadline, it goes to a person.
    REVERSED (always after a SUCCESS) and CANCELLED listing vouchers are marked
    `revokes_delivery`, with those vouchers: the delivery is taken back and the order goes
    to a person instead of a refund.
    """
    status = str(order.get("status") or "")
    common = {
        "provider_order_id": str(order.get("id") or ""),
        "rc": status,
        "raw": _log_safe(order),
    }
    if status == "SUCCESS":
        vouchers = _vouchers(order)
        if vouchers:
            return ProviderResult(ProviderStatus.SUCCESS, vouchers=vouchers, **common)
        # Hubble has charged us, so the deadline must not refund it: verified until the
        # vouchers come, or a person looks.
        return ProviderResult(ProviderStatus.UNKNOWN, message="SUCCESS without vouchers", **common)
    if status == "PROCESSING":
        return ProviderResult(ProviderStatus.PENDING, message="PROCESSING", **common)
    delivered = _vouchers(order)
    # REVERSED always follows a SUCCESS; a CANCELLED order that lists vouchers had one too.
    if status == "REVERSED" or (status == "CANCELLED" and delivered):
        return revocation_result(status, vouchers=delivered, **common)
    if status in FAILED_STATUSES:
        reason = str(order.get("failureReason") or status)
        return ProviderResult(ProviderStatus.FAILED, message=reason, **common)
    return ProviderResult(ProviderStatus.UNKNOWN, message=f"unknown status {status!r}", **common)


def revocation_result(status: str, **fields) -> ProviderResult:
    """Hubble called the order off (CANCELLED, or REVERSED by hand after its SUCCESS), as
    told by an order reply or by the order-status callback alone."""
    return ProviderResult(
        ProviderStatus.FAILED,
        message=f"Hubble reports this order {status}",
        rc=fields.pop("rc", status),
        revokes_delivery=True,
        **fields,
    )


def _vouchers(order: dict) -> list[VoucherData]:
    items = order.get("vouchers") or []
    return [_voucher(item) for item in items if isinstance(item, dict)]


def _voucher(item: dict) -> VoucherData:
    return VoucherData(
        code=str(item.get("cardNumber") or ""),
        pin=str(item.get("cardPin") or ""),
        expires_on=_date_or_none(item.get("validTill")),
        amount=to_decimal(item.get("amount")),
        provider_voucher_id=str(item.get("id") or ""),
    )


def _date_or_none(value) -> date | None:
    """validTill as a date: "YYYY-MM-DD" (or a timestamp starting with one), else None."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _brand_and_amount(request: OrderRequest) -> tuple[str, Decimal]:
    """FIXED SKUs are `<brand id>:<denomination>`; a FLEXIBLE SKU is the brand id and the
    amount comes with the request."""
    if ":" in request.sku:
        brand_id, denomination = request.sku.rsplit(":", 1)
        amount = to_decimal(denomination)
    else:
        brand_id, amount = request.sku, request.amount
    if not brand_id or amount is None or amount <= 0:
        raise _Rejected("amount", f"no face amount for SKU {request.sku!r}")
    return brand_id, amount


def _recipient_email(request: OrderRequest) -> str:
    """The address the buyer typed for the gift card, else the buyer's own."""
    if "@" in request.customer_no:
        return request.customer_no
    return str(request.customer_data.get("email") or request.customer_email)


def _json_number(amount: Decimal) -> int | float:
    # JSON has no decimals; INR face values are whole rupees or have at most two places,
    # which a float carries exactly enough for Hubble to read back the same amount.
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _read_json(reply: HttpReply):
    """The JSON body of a read; TransientProviderError for 5xx/429/malformed, and
    FinalProviderError for any other refusal."""
    if reply.ok:
        return reply.json()
    error = error_from_reply(reply)
    if reply.status == 429 or reply.status >= 500:
        raise TransientProviderError(error.describe(), code=error.id or f"http_{reply.status}")
    raise FinalProviderError(error.describe(), code=error.id or f"http_{reply.status}")


def _log_safe(body) -> dict:
    """The reply for the order log, without card numbers and PINs (they live on Voucher)."""
    return redact(body, _LOG_REDACTED) if isinstance(body, dict) else {}
