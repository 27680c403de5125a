"""Digiflazz replies mapped to the shop's dataclasses (docs/providers/digiflazz.md).

Order outcomes come from the one rc table in `rc.py`. Errors: a documented rejection is a
FAILED result (orders) or FinalProviderError (reads); no reply, 429, 5xx or a reply that is
not Digiflazz JSON is UNKNOWN (orders) or TransientProviderError (reads).
"""

import dataclasses
import re
from collections.abc import Mapping
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings

from catalog.models import DenominationType, InputSchema
from providers.base import (
    AccountInfo,
    AccountNotFound,
    Balance,
    CatalogItem,
    FinalProviderError,
    OrderRequest,
    PendingRule,
    PollPhase,
    ProviderResult,
    ProviderStatus,
    TransientProviderError,
    UpstreamAdapter,
    VoucherData,
)
from providers.config import provider_base_url, require_settings
from providers.digiflazz.client import CODE, PRODUCTION_BASE_URL, DigiflazzClient
from providers.digiflazz.rc import (
    PRICE_LIST_RATE_LIMITED,
    failure_kind,
    is_out_of_balance,
    transaction_status,
)
from providers.http import ALWAYS_REDACTED, HttpReply, redact

CURRENCY = "IDR"
# Digiflazz treats a ref_id older than 90 days as a new transaction: a margin of 5 days.
REF_ID_MAX_AGE = timedelta(days=85)
# /inquiry-pln: the rcs that say no such PLN customer (wrong number, wrong length); rcs that
# say the check could not be made now (timeouts, rate limits, disruptions, cut-off) are
# transient; any other refusal (signature, username, IP) is final.
INQUIRY_NOT_FOUND_RCS = frozenset({"54", "57"})
INQUIRY_TRANSIENT_RCS = frozenset(
    {"01", "03", "55", "58", "62", "66", "70", "71", "83", "85", "99"}
)
INQUIRY_EXTRA_FIELDS = ("meter_no", "subscriber_id", "segment_power")
# Brands whose buyers type a user id and a zone id (the seed: Mobile Legends needs the zone).
ZONE_BRANDS = frozenset({"MOBILE LEGENDS", "MAGIC CHESS GO GO"})
PHONE_CATEGORIES = frozenset(
    {"pulsa", "data", "paket data", "e-money", "paket sms & telpon", "masa aktif"}
)
# A PLN prepaid token: 20 digits, often in groups of four, before "/NAME/TARIFF/VA/KWH".
PLN_TOKEN = re.compile(r"^\s*(\d{4}[- ]?){4}\d{4}(?=\s*(/|$))")


def guess_input_schema(*, category: str, brand: str) -> str:
    """What the buyer must type for a Digiflazz product, guessed from category and brand."""
    brand_key, category_key = brand.strip().upper(), category.strip().lower()
    if brand_key in ZONE_BRANDS:
        return InputSchema.GAME_WITH_ZONE
    if "game" in category_key:
        return InputSchema.GAME
    if category_key in PHONE_CATEGORIES:
        return InputSchema.PHONE
    if category_key == "pln" or brand_key == "PLN":
        return InputSchema.PLN
    return InputSchema.OTHER


def customer_no_for(request: OrderRequest) -> str:
    """`customer_no` as Digiflazz's game sellers read it, from the buyer's fields: Mobile
    Legends (and any game with a zone) is the user id and the zone id written together with
    no separator (123456781234); a HoYoverse game is its UID alone (the UID names its
    server); Valorant is the Riot ID (name#tag); anything else its one field. An order
    without fields (placed before they were stored) sends its stored account number."""
    fields = request.customer_data or {}
    if fields.get("user_id") and fields.get("zone_id"):
        return f"{fields['user_id']}{fields['zone_id']}"
    for name in ("riot_id", "user_id", "phone", "meter_number", "email", "account"):
        if fields.get(name):
            return str(fields[name])
    return request.customer_no


def voucher_from_sn(sn: str) -> VoucherData:
    """The serial number as a voucher; a PLN token also becomes the voucher's code."""
    token = PLN_TOKEN.match(sn)
    return VoucherData(serial=sn, code=token.group(0).strip() if token else "")


def _rc_text(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:02d}"
    return str(value or "").strip()


def result_from_transaction(data: Mapping) -> ProviderResult:
    """A /transaction reply's (or callback's) `data` object as a ProviderResult."""
    rc = _rc_text(data.get("rc"))
    status = transaction_status(rc, str(data.get("status") or ""))
    sn = str(data.get("sn") or "").strip()
    return ProviderResult(
        status=status,
        provider_order_id=str(data.get("trx_id") or ""),
        vouchers=[voucher_from_sn(sn)] if status == ProviderStatus.SUCCESS and sn else [],
        message=str(data.get("message") or ""),
        rc=rc,
        raw=redact(dict(data), ALWAYS_REDACTED),  # the serial (a PLN token) lives on Voucher
        provider_out_of_balance=is_out_of_balance(rc, status),
        failure_kind=failure_kind(rc, status),
    )


def _decimal(value, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransientProviderError(f"digiflazz sent a bad {what}: {value!r}") from None


class DigiflazzAdapter(UpstreamAdapter):
    code = CODE
    # Pending (rc 03/99) is not final at Digiflazz: a "Sukses" may come hours later. The
    # same ref_id is re-posted a minute after placing, then every 2 minutes (5 in all), at
    # the deadline, and on the slow schedule after it; never once the ref_id is 85 days
    # old (Digiflazz takes one older than 90 days for a new transaction).
    pending_rule = PendingRule(
        polls=(
            PollPhase(every=timedelta(minutes=1), until=timedelta(minutes=1)),
            PollPhase(every=timedelta(minutes=2), until=timedelta(minutes=9)),
        ),
        deadline=timedelta(minutes=15),
        reference_max_age=REF_ID_MAX_AGE,
    )

    def __init__(self, *, client: DigiflazzClient, testing: bool = False, callback_url: str = ""):
        self.client = client
        self.testing = testing
        self.callback_url = callback_url

    @classmethod
    def from_settings(cls) -> "DigiflazzAdapter":
        """Built from DIGIFLAZZ_* settings at call time; NotConfigured names what is missing."""
        values = require_settings(CODE, "DIGIFLAZZ_USERNAME", "DIGIFLAZZ_API_KEY")
        base_url = provider_base_url(
            code=CODE,
            configured=settings.DIGIFLAZZ_BASE_URL,
            production=PRODUCTION_BASE_URL,
            simulator_path="/v1",
        )
        client = DigiflazzClient(
            username=values["DIGIFLAZZ_USERNAME"],
            api_key=values["DIGIFLAZZ_API_KEY"],
            base_url=base_url,
        )
        return cls(
            client=client,
            testing=settings.DIGIFLAZZ_TESTING,
            # Optional per-transaction callback URL; without it Digiflazz calls the webhook
            # set in its dashboard.
            callback_url=getattr(settings, "DIGIFLAZZ_CALLBACK_URL", ""),
        )

    # --- reads ------------------------------------------------------------------------------

    def fetch_catalog(self) -> list[CatalogItem]:
        """The prepaid price list. rc 83 (at most once per 5 minutes) is transient."""
        data = self._read_data(self.client.price_list())
        if not isinstance(data, list):
            raise TransientProviderError("digiflazz price list is not a list", raw={"data": data})
        return [self._catalog_item(item) for item in data if isinstance(item, dict)]

    def get_balance(self) -> Balance:
        data = self._read_data(self.client.check_balance())
        if not isinstance(data, dict) or "deposit" not in data:
            raise TransientProviderError("digiflazz balance reply has no deposit")
        return Balance(amount=_decimal(data["deposit"], "deposit"), currency=CURRENCY)

    def _catalog_item(self, item: dict) -> CatalogItem:
        category, brand = str(item.get("category") or ""), str(item.get("brand") or "")
        return CatalogItem(
            sku=str(item.get("buyer_sku_code") or ""),
            name=str(item.get("product_name") or ""),
            brand=brand,
            category=category,
            cost=_decimal(item.get("price"), "price"),
            currency=CURRENCY,
            active=item.get("buyer_product_status") is True
            and item.get("seller_product_status") is True,
            denomination_type=DenominationType.FIXED,
            description=str(item.get("desc") or ""),
            input_schema=guess_input_schema(category=category, brand=brand),
            stock=price_list_stock(item),
            cutoff_start=(cutoff := price_list_cutoff(item))[0],
            cutoff_end=cutoff[1],
            raw=item,
        )

    def _read_data(self, reply: HttpReply):
        """The `data` of a successful read; Transient/FinalProviderError otherwise."""
        if reply.status == 429 or reply.status >= 500:
            raise TransientProviderError(
                f"digiflazz answered HTTP {reply.status}", code=f"http_{reply.status}"
            )
        body = reply.json()
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and _rc_text(data.get("rc")) not in ("", "00"):
            rc = _rc_text(data.get("rc"))
            message = str(data.get("message") or f"rc {rc}")
            error = TransientProviderError if rc == PRICE_LIST_RATE_LIMITED else FinalProviderError
            raise error(f"digiflazz: {message} (rc {rc})", code=rc, raw=body)
        if data is None:
            if not reply.ok:
                raise FinalProviderError(f"digiflazz answered HTTP {reply.status}")
            raise TransientProviderError("digiflazz reply has no data")
        return data

    # --- account check (PLN) ------------------------------------------------------------------

    def looks_up_accounts(self, *, brand: str, input_schema: str) -> bool:
        """/inquiry-pln checks PLN customers: every brand whose buyers type a meter number."""
        return input_schema == InputSchema.PLN

    def account_lookup(
        self, *, brand: str, input_schema: str, fields: dict[str, str]
    ) -> AccountInfo:
        """The PLN customer of `fields["meter_number"]`: name, and the meter number,
        subscriber id and tariff/power (`segment_power`, e.g. "R1 /000001300") as extra."""
        customer_no = str(fields.get("meter_number") or "").strip()
        if not customer_no:
            raise FinalProviderError("digiflazz inquiry-pln needs a meter number")
        reply = self.client.inquiry_pln(customer_no=customer_no)
        if reply.status == 429 or reply.status >= 500:
            raise TransientProviderError(
                f"digiflazz inquiry-pln answered HTTP {reply.status}", code=f"http_{reply.status}"
            )
        body = reply.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise TransientProviderError("digiflazz inquiry-pln reply has no data")
        rc = _rc_text(data.get("rc"))
        message = str(data.get("message") or f"rc {rc}")
        name = str(data.get("name") or "").strip()
        if rc == "00" and str(data.get("status") or "Sukses") == "Sukses":
            if not name:
                raise TransientProviderError("digiflazz inquiry-pln found no name", code=rc)
            extra = {key: str(data.get(key) or "").strip() for key in INQUIRY_EXTRA_FIELDS}
            return AccountInfo(name=name, extra={k: v for k, v in extra.items() if v})
        if rc in INQUIRY_NOT_FOUND_RCS:
            raise AccountNotFound(f"digiflazz: {message} (rc {rc})", code=rc)
        transient = not rc or rc in INQUIRY_TRANSIENT_RCS
        error_class = TransientProviderError if transient else FinalProviderError
        raise error_class(f"digiflazz: {message} (rc {rc})", code=rc, raw=body)

    # --- orders -----------------------------------------------------------------------------

    def place_order(self, request: OrderRequest) -> ProviderResult:
        """POST /transaction once. "Transaction not found" here means nothing was created:
        FAILED. A postpaid bill is paid instead (`postpaid.py`, `pay-pasca`)."""
        if request.postpaid:
            return self._postpaid().pay(request)
        result = self._post_transaction(request, safe_to_retry=False)
        if result.status == ProviderStatus.NOT_FOUND:
            return dataclasses.replace(result, status=ProviderStatus.FAILED)
        return result

    def check_order(self, request: OrderRequest) -> ProviderResult:
        """The same body re-posted with the same ref_id (Digiflazz's status check; it never
        creates a second transaction, so retrying it is safe). rc 50 → NOT_FOUND. A
        postpaid bill is looked up by `status-pasca` instead."""
        if request.postpaid:
            return self._postpaid().check(request)
        return self._post_transaction(request, safe_to_retry=True)

    def _postpaid(self):
        from providers.digiflazz.postpaid import DigiflazzPostpaid  # it imports this module

        return DigiflazzPostpaid(adapter=self)

    def _post_transaction(self, request: OrderRequest, *, safe_to_retry: bool) -> ProviderResult:
        try:
            reply = self.client.transaction(
                ref_id=request.reference,
                buyer_sku_code=request.sku,
                customer_no=customer_no_for(request),
                # IDR has no fractions; rounding down never lets Digiflazz charge more
                # than the cost we priced with.
                max_price=int(request.max_price) if request.max_price is not None else None,
                cb_url=self.callback_url,
                testing=self.testing,
                safe_to_retry=safe_to_retry,
            )
        except TransientProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message, rc="")
        return self._transaction_result(reply)

    @staticmethod
    def _transaction_result(reply: HttpReply) -> ProviderResult:
        if reply.status == 429 or reply.status >= 500:
            return ProviderResult(
                ProviderStatus.UNKNOWN,
                message=f"digiflazz answered HTTP {reply.status}",
                raw={"http_status": reply.status},
            )
        try:
            body = reply.json()
        except TransientProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return ProviderResult(
                ProviderStatus.UNKNOWN,
                message=f"digiflazz reply without data (HTTP {reply.status})",
                raw=body if isinstance(body, dict) else {},
            )
        return result_from_transaction(data)


_MAX_STOCK = 2_147_483_647  # Product.stock (a PostgreSQL integer)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")


def price_list_stock(item: Mapping) -> int | None:
    """A price-list product's stock: None when `unlimited_stock` is true or the stock is
    missing or unreadable (the sync then does not count it), else the count (at least 0)."""
    if item.get("unlimited_stock") is True:
        return None
    try:
        stock = int(item.get("stock"))
    except (TypeError, ValueError):
        return None
    return min(max(stock, 0), _MAX_STOCK)


def price_list_cutoff(item: Mapping) -> tuple[time | None, time | None]:
    """A price-list product's daily cut-off (`start_cut_off`, `end_cut_off`, "HH:MM" in
    WIB, the shop's time): (None, None) when either is missing or unreadable or both are
    the same time ("00:00" to "00:00": no cut-off)."""
    start, end = _clock(item.get("start_cut_off")), _clock(item.get("end_cut_off"))
    if start is None or end is None or start == end:
        return None, None
    return start, end


def _clock(value) -> time | None:
    match = _CLOCK.match(str(value or "").strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None
