"""Digiflazz postpaid bills (pascabayar): the postpaid price list, inquiry (`inq-pasca`),
payment (`pay-pasca`, the inquiry's ref_id) and status (`status-pasca`). Wire format and
sources: docs/providers/digiflazz.md, "Postpaid bills".

Kept apart from the prepaid adapter: `DigiflazzAdapter.place_order` / `check_order` hand a
postpaid OrderRequest here, so a paid bill goes through the same pipeline as any order.
"""

import dataclasses
from decimal import Decimal, InvalidOperation

from catalog.models import DenominationType, InputSchema
from providers.base import (
    CatalogItem,
    FinalProviderError,
    OrderRequest,
    ProviderResult,
    ProviderStatus,
    TransientProviderError,
)
from providers.bills import BillInquiry, BillPeriod
from providers.digiflazz.adapter import (
    CURRENCY,
    DigiflazzAdapter,
    _rc_text,
    result_from_transaction,
)
from providers.digiflazz.client import DigiflazzClient
from providers.digiflazz.rc import transaction_status
from providers.http import ALWAYS_REDACTED, HttpReply, redact

INQUIRY, PAYMENT, STATUS = "inq-pasca", "pay-pasca", "status-pasca"
# Bill types, from the postpaid price list's category (the storefront groups by them).
BILL_TYPES = {
    "pln": "pln",
    "bpjs": "bpjs",
    "pdam": "pdam",
    "hp pascabayar": "telco",
    "telkom": "telco",
    "internet pascabayar": "internet",
    "multifinance": "multifinance",
}


def bill_type_of(category: str) -> str:
    return BILL_TYPES.get(category.strip().lower(), "other")


def postpaid_price_list(client: DigiflazzClient) -> HttpReply:
    body = {"cmd": "pasca", "username": client.username, "sign": client.sign("pricelist")}
    return client._post("/price-list", body, safe_to_retry=True)


def postpaid_command(
    client: DigiflazzClient,
    *,
    commands: str,
    ref_id: str,
    sku: str,
    customer_no: str,
    testing: bool,
    safe_to_retry: bool,
) -> HttpReply:
    """POST /transaction with `commands` (inq-pasca, pay-pasca, status-pasca), signed
    md5(username + key + ref_id) like a top-up."""
    body: dict = {
        "commands": commands,
        "username": client.username,
        "buyer_sku_code": sku,
        "customer_no": customer_no,
        "ref_id": ref_id,
        "sign": client.sign(ref_id),
    }
    if testing:
        body["testing"] = True
    return client._post("/transaction", body, safe_to_retry=safe_to_retry, reference=ref_id)


def _money(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise TransientProviderError(f"digiflazz sent a bad {what}: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise TransientProviderError(f"digiflazz sent a bad {what}: {value!r}")
    return amount


def _reply_data(reply: HttpReply) -> dict:
    """The `data` object of a /transaction reply; TransientProviderError when there is none
    (no reply, 429, 5xx, not JSON): nothing may be concluded."""
    if reply.status == 429 or reply.status >= 500:
        raise TransientProviderError(
            f"digiflazz answered HTTP {reply.status}", code=f"http_{reply.status}"
        )
    body = reply.json()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise TransientProviderError(f"digiflazz reply without data (HTTP {reply.status})")
    return data


def bill_from_data(data: dict, *, reference: str) -> BillInquiry:
    """An inquiry's `data` as a BillInquiry (the caller checked it is a Sukses)."""
    desc = data.get("desc") if isinstance(data.get("desc"), dict) else {}
    details = desc.get("detail") if isinstance(desc.get("detail"), list) else []
    periods = tuple(
        BillPeriod(
            period=str(item.get("periode") or ""),
            amount=_money(item.get("nilai_tagihan"), "nilai_tagihan"),
            penalty=_money(item.get("denda"), "denda"),
            admin=_money(item.get("admin"), "admin"),
            meter_start=str(item.get("meter_awal") or ""),
            meter_end=str(item.get("meter_akhir") or ""),
        )
        for item in details
        if isinstance(item, dict)
    )
    admin = _money(data.get("admin"), "admin")
    selling_price = _money(data.get("selling_price"), "selling_price")
    bill_amount = selling_price - admin
    if bill_amount <= 0:
        raise TransientProviderError(f"digiflazz bill of {selling_price} with admin {admin}")
    return BillInquiry(
        reference=reference,
        sku=str(data.get("buyer_sku_code") or ""),
        customer_no=str(data.get("customer_no") or ""),
        customer_name=str(data.get("customer_name") or ""),
        bill_amount=bill_amount,
        admin_fee=admin,
        cost=_money(data.get("price"), "price"),
        periods=periods,
        details={key: value for key, value in desc.items() if key != "detail"},
        raw=redact(dict(data), ALWAYS_REDACTED),
    )


class DigiflazzPostpaid:
    """Digiflazz's postpaid commands over the prepaid adapter's client and settings."""

    code = "digiflazz"

    def __init__(self, *, adapter: DigiflazzAdapter):
        self.adapter = adapter
        self.client = adapter.client

    @classmethod
    def from_settings(cls) -> "DigiflazzPostpaid":
        return cls(adapter=DigiflazzAdapter.from_settings())

    def fetch_bill_catalog(self) -> list[CatalogItem]:
        """The postpaid price list: one item per bill type and biller; no price (a bill's
        amount comes from its inquiry), the provider's admin fee in `raw`."""
        data = self.adapter._read_data(postpaid_price_list(self.client))
        if not isinstance(data, list):
            raise TransientProviderError("digiflazz postpaid price list is not a list")
        return [
            CatalogItem(
                sku=str(item.get("buyer_sku_code") or ""),
                name=str(item.get("product_name") or ""),
                brand=str(item.get("brand") or ""),
                category=str(item.get("category") or ""),
                cost=Decimal("0"),
                currency=CURRENCY,
                active=item.get("buyer_product_status") is True
                and item.get("seller_product_status") is True,
                denomination_type=DenominationType.BILL,
                description=str(item.get("desc") or ""),
                input_schema=InputSchema.OTHER,
                raw=item,
            )
            for item in data
            if isinstance(item, dict)
        ]

    def inquire(self, *, sku: str, customer_no: str, reference: str) -> BillInquiry:
        """`inq-pasca` under `reference` (the order's code, paid later with the same one).
        FinalProviderError when Digiflazz says there is no bill to pay (already paid, wrong
        number: its rc in `code`); TransientProviderError when it cannot tell now (no
        reply, pending, a reply that cannot be read). Inquiring is free and safe to retry."""
        reply = postpaid_command(
            self.client,
            commands=INQUIRY,
            ref_id=reference,
            sku=sku,
            customer_no=customer_no,
            testing=self.adapter.testing,
            safe_to_retry=True,
        )
        data = _reply_data(reply)
        rc = _rc_text(data.get("rc"))
        status = transaction_status(rc, str(data.get("status") or ""))
        message = str(data.get("message") or f"rc {rc}")
        if status in (ProviderStatus.FAILED, ProviderStatus.NOT_FOUND):
            raise FinalProviderError(f"digiflazz: {message} (rc {rc})", code=rc, raw=data)
        if status != ProviderStatus.SUCCESS:
            raise TransientProviderError(f"digiflazz inquiry {status}: {message}", code=rc)
        return bill_from_data(data, reference=reference)

    def pay(self, request: OrderRequest) -> ProviderResult:
        """`pay-pasca` once with the inquiry's ref_id (the order code). Errors become
        results: UNKNOWN when no reply came (verified later by `status-pasca`), FAILED for
        Digiflazz's refusal ("not found" here means nothing was paid)."""
        result = self._command(PAYMENT, request, safe_to_retry=False)
        if result.status == ProviderStatus.NOT_FOUND:
            return dataclasses.replace(result, status=ProviderStatus.FAILED)
        return result

    def check(self, request: OrderRequest) -> ProviderResult:
        """`status-pasca` with the same ref_id: safe to retry; rc 50 → NOT_FOUND (never
        paid, may be paid with the same ref_id)."""
        return self._command(STATUS, request, safe_to_retry=True)

    def _command(self, commands: str, request: OrderRequest, *, safe_to_retry: bool):
        try:
            data = _reply_data(
                postpaid_command(
                    self.client,
                    commands=commands,
                    ref_id=request.reference,
                    sku=request.sku,
                    customer_no=request.customer_no,
                    testing=self.adapter.testing,
                    safe_to_retry=safe_to_retry,
                )
            )
        except TransientProviderError as exc:
            return ProviderResult(ProviderStatus.UNKNOWN, message=exc.message)
        return result_from_transaction(data)
