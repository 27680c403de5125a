# Over 400 lines: FoxReload's order has a create, a pay and a poll, each mapped here alone.
"""FoxReload public API → the shop's dataclasses (docs/providers/foxreload.md, seed 002).

What the seed documents: categories and products (`GET /api/categories/`,
`GET /api/products/?category_id_or_slug=...`), order create (201, `id`, status "active"),
pay (`POST /api/orders/{id}/pay`; too little balance → `BalanceNotEnough`), the forward-only
statuses active → paid → processing → completed | cancelled | failed, codes in
`items[].externalData[]`, `cancelReason`, `items[].error`, no webhooks, and "GET the order
before any retry". What it does not document, and is therefore inferred here (kept in one
place each and said so): the catalog's page shapes and product fields, the error body,
the HTTP status of `BalanceNotEnough`, and the shape of one `externalData` entry.
"""

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings

from catalog.models import DenominationType, InputSchema
from providers.base import (
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
from providers.foxreload.client import PRODUCTION_BASE_URL, FoxReloadClient
from providers.http import ALWAYS_REDACTED, HttpReply, redact

logger = logging.getLogger(__name__)

CODE = "foxreload"
# The seed's own example pays with "pally" and says a sufficient balance takes the order
# straight to paid → processing; the value is not otherwise documented, so it can be
# overridden with the optional FOXRELOAD_PAYMENT_PROVIDER setting.
DEFAULT_PAYMENT_PROVIDER = "pally"
BALANCE_NOT_ENOUGH = "BalanceNotEnough"
PENDING_STATUSES = frozenset({"active", "paid", "processing"})
MAX_PAGES = 500  # a cursor or offset that never ends must not loop forever

NO_ORDER_ID_MESSAGE = (
    "No FoxReload order id: the create got no answer, and FoxReload takes no client reference "
    "to find the order by. We never paid an order there (only POST /pay charges), so nothing "
    "can be delivered and it is created again; an order the lost create made stays unpaid and "
    "expires at FoxReload (payment_expiration)."
)

# Polling (the seed: no webhooks; every 5 s for the first minute, then every 30 s, up to
# 10 minutes after the first request). FoxReload sends no callbacks, so after the 10
# minutes (staff are told, nothing is cancelled) polls go on every 5 minutes for two hours,
# then hourly up to 72 hours: a late `completed` is still delivered, a `failed` refunded.
PENDING_RULE = PendingRule(
    polls=(
        PollPhase(every=timedelta(seconds=5), until=timedelta(minutes=1)),
        PollPhase(every=timedelta(seconds=30), until=timedelta(minutes=10)),
    ),
    deadline=timedelta(minutes=10),
    slow_polls=(
        PollPhase(every=timedelta(minutes=5), until=timedelta(hours=2)),
        PollPhase(every=timedelta(hours=1), until=timedelta(hours=72)),
    ),
)


class FoxReloadAdapter(UpstreamAdapter):
    """FoxReload: catalog, place (create then pay), check by order id, polling schedule.

    FoxReload has no client reference and no idempotency key. Consequences:
    - `place_order` never repeats a write. It reports the FoxReload order id in
      `ProviderResult.provider_order_id` as soon as the create reply gave one, whatever
      happens to the payment, so the pipeline can look the order up later.
    - `check_order` looks up by `request.provider_order_id` only. With no id known (the
      create got no answer: 429, 5xx, a timeout) it answers NOT_FOUND with
      `NO_ORDER_ID_MESSAGE`: no order was paid there, so the pipeline creates it again
      (safe: only /pay charges; the seed documents no search by reference). An order the
      lost create made stays `active` and expires on FoxReload's side.
    - Before any retry the pipeline must call `check_order` with the stored id.
    FoxReload has no balance endpoint in the seed: `get_balance` raises FinalProviderError.
    """

    code = CODE
    pending_rule = PENDING_RULE

    def __init__(
        self,
        *,
        client: FoxReloadClient,
        is_mock: bool = False,
        payment_provider: str = DEFAULT_PAYMENT_PROVIDER,
        return_url: str = "",
    ):
        self.client = client
        self.is_mock = is_mock
        self.payment_provider = payment_provider
        self.return_url = return_url

    @classmethod
    def from_settings(cls) -> "FoxReloadAdapter":
        """Built from settings at call time; NotConfigured when FOXRELOAD_API_KEY is unset."""
        values = require_settings(CODE, "FOXRELOAD_API_KEY")
        base_url = provider_base_url(
            code=CODE,
            configured=settings.FOXRELOAD_BASE_URL,
            production=PRODUCTION_BASE_URL,
            simulator_path="",
        )
        return cls(
            client=FoxReloadClient(base_url=base_url, api_key=values["FOXRELOAD_API_KEY"]),
            is_mock=settings.FOXRELOAD_MOCK,
            payment_provider=getattr(settings, "FOXRELOAD_PAYMENT_PROVIDER", "")
            or DEFAULT_PAYMENT_PROVIDER,
            return_url=settings.SITE_URL,
        )

    # -- catalog ---------------------------------------------------------------------

    def fetch_catalog(self) -> list[CatalogItem]:
        """Every product of every category that has products, once each. Raises
        TransientProviderError (try later) or FinalProviderError (refused, e.g. bad key)."""
        categories = list(self._categories())
        by_id = {category["id"]: category for category in categories if category.get("id")}
        items: dict[str, CatalogItem] = {}
        for category in categories:
            if category.get("hasProducts") is False or not category.get("id"):
                continue
            for product in self._products(category["id"]):
                home = by_id.get(product.get("categoryId"), category)
                item = catalog_item(product, home, by_id)
                if item is not None:
                    items.setdefault(item.sku, item)
        return list(items.values())

    def _categories(self) -> Iterator[dict]:
        # Page shape {"items", "limit", "nextCursor"} (inferred from public client code).
        cursor = None
        for _ in range(MAX_PAGES):
            page = read_json(self.client.categories(cursor=cursor), what="categories")
            yield from _page_items(page)
            next_cursor = page.get("nextCursor") if isinstance(page, dict) else None
            if not next_cursor or next_cursor == cursor:
                return
            cursor = next_cursor
        raise TransientProviderError("FoxReload categories did not stop paginating")

    def _products(self, category_id: str) -> Iterator[dict]:
        # Page shape {"items", "limit", "offset", "total"} (inferred from public client code).
        offset = 0
        for _ in range(MAX_PAGES):
            reply = self.client.products(category_id_or_slug=category_id, offset=offset)
            page = read_json(reply, what=f"products of {category_id}")
            items = _page_items(page)
            yield from items
            offset += len(items)
            total = page.get("total") if isinstance(page, dict) else None
            limit = (page.get("limit") if isinstance(page, dict) else None) or len(items)
            if not items or (total is not None and offset >= int(total)):
                return
            if total is None and len(items) < int(limit):
                return
        raise TransientProviderError(f"FoxReload products of {category_id} did not stop")

    # -- orders ----------------------------------------------------------------------

    def place_order(self, request: OrderRequest) -> ProviderResult:
        """Create the order, then pay it; each write is sent once. The order id is in the
        result from the moment FoxReload gave it (even if the payment then fails)."""
        try:
            created = self.client.create_order(
                item_id=request.sku,
                note=order_note(request),
                is_mock=self.is_mock,
                reference=request.reference,
            )
        except TransientProviderError as exc:
            return _unknown(f"create: {exc.message}. {NO_ORDER_ID_MESSAGE}", rc=exc.code)
        if created.status == 429 or created.status >= 500:
            return _unknown(
                f"create: HTTP {created.status}. {NO_ORDER_ID_MESSAGE}",
                rc=str(created.status),
                raw=_safe_json(created),
            )
        if not created.ok:
            # A refusal of the create (unknown product, bad note, bad key): no order exists.
            return ProviderResult(
                ProviderStatus.FAILED,
                message=f"FoxReload refused the order: {error_detail(created)}",
                rc=str(created.status),
                raw=_safe_json(created),
            )
        try:
            order_id = str(created.json().get("id") or "")
        except (TransientProviderError, AttributeError):
            order_id = ""
        if not order_id:
            return _unknown(f"create: no order id in the reply. {NO_ORDER_ID_MESSAGE}")
        if request.on_provider_order_id is not None:
            request.on_provider_order_id(order_id)  # kept before we pay, whatever follows
        return self._pay(replace(request, provider_order_id=order_id))

    def _pay(self, request: OrderRequest) -> ProviderResult:
        order_id = request.provider_order_id
        try:
            paid = self.client.pay_order(
                order_id,
                payment_provider=self.payment_provider,
                return_url=self.return_url,
                reference=request.reference,
            )
        except TransientProviderError as exc:
            return _unknown(f"pay: {exc.message}", rc=exc.code, order_id=order_id)
        if paid.status == 429 or paid.status >= 500:
            message, raw = f"pay: HTTP {paid.status}", _safe_json(paid)
            return _unknown(message, rc=str(paid.status), order_id=order_id, raw=raw)
        if not paid.ok:
            # Status and body of BalanceNotEnough are not documented (inferred): any refused
            # payment whose reply names it means FoxReload's balance ran out.
            out_of_balance = BALANCE_NOT_ENOUGH.encode() in paid.content
            return ProviderResult(
                ProviderStatus.FAILED,
                provider_order_id=order_id,
                message=f"FoxReload refused the payment: {error_detail(paid)}",
                rc=BALANCE_NOT_ENOUGH if out_of_balance else str(paid.status),
                raw=_safe_json(paid),
                provider_out_of_balance=out_of_balance,
            )
        try:
            paid.json()
        except TransientProviderError as exc:
            return _unknown(f"pay: {exc.message}", rc=exc.code, order_id=order_id)
        # The pay reply's shape is not documented: the order itself is the truth.
        result = self.check_order(request)
        if result.status in (ProviderStatus.UNKNOWN, ProviderStatus.NOT_FOUND):
            return ProviderResult(
                ProviderStatus.PENDING,
                provider_order_id=order_id,
                message=f"Paid; status not read yet ({result.message})",
                rc=result.rc,
            )
        return result

    def check_order(self, request: OrderRequest) -> ProviderResult:
        """The order by `request.provider_order_id` (a read, retried with back-off).
        NOT_FOUND on 404, or with no id (never paid there: it may be created again);
        UNKNOWN when there is no readable reply."""
        order_id = request.provider_order_id
        if not order_id:
            return ProviderResult(
                ProviderStatus.NOT_FOUND, message=NO_ORDER_ID_MESSAGE, rc="no_order_id"
            )
        try:
            reply = self.client.get_order(order_id, reference=request.reference)
        except TransientProviderError as exc:
            return _unknown(f"status: {exc.message}", rc=exc.code, order_id=order_id)
        if reply.status == 404:
            return ProviderResult(
                ProviderStatus.NOT_FOUND,
                provider_order_id=order_id,
                message=f"FoxReload has no order {order_id}",
                rc="404",
            )
        if not reply.ok:
            return _unknown(
                f"status: HTTP {reply.status}: {error_detail(reply)}",
                rc=str(reply.status),
                order_id=order_id,
            )
        try:
            body = reply.json()
        except TransientProviderError as exc:
            return _unknown(f"status: {exc.message}", rc=exc.code, order_id=order_id)
        if not isinstance(body, dict):
            return _unknown("status: the reply is not an order", order_id=order_id)
        return order_result(body, order_id=order_id)

    reports_balance = False
    looks_up_by_reference = False

    def get_balance(self) -> Balance:
        """The seed documents no balance endpoint, so the shop cannot read it."""
        raise FinalProviderError("FoxReload has no balance endpoint", code="not_supported")


# -- mapping (pure functions) ----------------------------------------------------------


def order_note(request: OrderRequest) -> dict[str, str]:
    """The order item's `note` from the buyer's fields. `player_id` is the one note field
    the seed documents: the game's player id, or the whole Riot ID (name#tag) for Valorant.
    A Mobile Legends zone goes as `zone_id` and a HoYoverse server as `server` (inferred
    names, as a product's `requiredNoteFields` list them). An order without fields (placed
    before they were stored) sends its account number as the player id."""
    fields = request.customer_data or {}
    note = {"player_id": fields.get("riot_id") or fields.get("user_id") or request.customer_no}
    for name in ("zone_id", "server"):
        if fields.get(name):
            note[name] = fields[name]
    return note


def order_result(body: dict, *, order_id: str = "") -> ProviderResult:
    """A FoxReload order object → ProviderResult: active/paid/processing → PENDING,
    completed → SUCCESS with its codes, cancelled and failed → FAILED (cancelled with
    payment_failure: FoxReload's balance ran out, per the seed's failure table)."""
    status = str(body.get("status") or "").lower()
    order_id = str(body.get("id") or order_id)
    items = [item for item in body.get("items") or [] if isinstance(item, dict)]
    raw = redact(body, ALWAYS_REDACTED)  # codes live in the vouchers, not in the event log
    common = {"provider_order_id": order_id, "rc": status, "raw": raw}
    if status in PENDING_STATUSES:
        message = f"FoxReload order {status}"
        if status == "active" and body.get("paymentExpiresAt"):
            message += f" (awaiting payment until {body['paymentExpiresAt']})"
        return ProviderResult(ProviderStatus.PENDING, message=message, **common)
    if status == "completed":
        vouchers = [voucher(entry) for item in items for entry in item.get("externalData") or []]
        message = "Delivered" if vouchers else "Completed (delivered to the player account)"
        return ProviderResult(ProviderStatus.SUCCESS, vouchers=vouchers, message=message, **common)
    if status == "cancelled":
        reason = body.get("cancelReason") or "no reason given"
        return ProviderResult(
            ProviderStatus.FAILED,
            message=f"Cancelled at FoxReload: {reason}",
            provider_out_of_balance=reason == "payment_failure",
            **common,
        )
    if status == "failed":
        errors = [str(item["error"]) for item in items if item.get("error")]
        message = "Failed at FoxReload: " + ("; ".join(errors) or "no error given")
        return ProviderResult(ProviderStatus.FAILED, message=message, **common)
    return ProviderResult(
        ProviderStatus.UNKNOWN, message=f"Unknown FoxReload status {status!r}", **common
    )


def voucher(entry) -> VoucherData:
    """One `externalData` entry → VoucherData. The seed calls them codes but does not give
    an entry's shape (inferred): a string is the code; an object gives code/pin/serial, and
    an object with none of them is kept whole as the code so nothing delivered is lost."""
    if not isinstance(entry, dict):
        return VoucherData(code=str(entry))
    code = str(entry.get("code") or entry.get("value") or "")
    pin = str(entry.get("pin") or "")
    serial = str(entry.get("serial") or "")
    if not (code or pin or serial):
        code = json.dumps(entry, sort_keys=True)[:255]
    return VoucherData(code=code, pin=pin, serial=serial)


def catalog_item(product: dict, category: dict, categories: dict[str, dict]) -> CatalogItem | None:
    """A product → CatalogItem; None (logged) when it has no id or no readable price.

    Product fields (inferred from public client code; the seed names only `id`): `name`,
    `categoryId`, `description`, `price` (string or number), `currency`, `quantity` (stock;
    null = not counted). brand = the category right under the root of the product's
    category path (the game), category = the root (e.g. "Game top-ups")."""
    sku = str(product.get("id") or "")
    try:
        cost = Decimal(str(product.get("price")))
    except InvalidOperation:
        cost = None
    if not sku or cost is None or not cost.is_finite() or cost < 0:
        logger.warning("foxreload: skipped a product without id or price: %r", product)
        return None
    path = _category_path(category, categories)
    quantity = product.get("quantity")
    return CatalogItem(
        sku=sku,
        name=str(product.get("name") or sku),
        brand=path[1] if len(path) > 1 else path[0],
        category=path[0],
        cost=cost,
        currency=str(product.get("currency") or "USD").upper(),
        active=quantity is None or quantity > 0,
        denomination_type=DenominationType.FIXED,
        description=str(product.get("description") or ""),
        # "some game id": the sync gives known games their own schema by brand name
        input_schema=InputSchema.GAME,
        stock=quantity if type(quantity) is int and quantity >= 0 else None,  # not a bool
        raw=product,
    )


def _category_path(category: dict, categories: dict[str, dict]) -> list[str]:
    """Names from the root down to `category` (a cycle or a missing parent ends it)."""
    path, seen = [], set()
    node: dict | None = category
    while node is not None and node.get("id") not in seen:
        seen.add(node.get("id"))
        path.append(str(node.get("name") or node.get("slug") or node.get("id") or ""))
        node = categories.get(node.get("parentId"))
    return list(reversed(path))


def _page_items(page) -> list[dict]:
    items = page if isinstance(page, list) else (page or {}).get("items") or []
    return [item for item in items if isinstance(item, dict)]


def read_json(reply: HttpReply, *, what: str):
    """A read's JSON body. 429/5xx → TransientProviderError (ProviderHttp already backed
    off); other 4xx → FinalProviderError; malformed JSON → TransientProviderError."""
    if reply.status == 429 or reply.status >= 500:
        raise TransientProviderError(
            f"FoxReload {what}: HTTP {reply.status}", code=str(reply.status)
        )
    if not reply.ok:
        raise FinalProviderError(
            f"FoxReload {what}: HTTP {reply.status}: {error_detail(reply)}",
            code=str(reply.status),
            raw=_safe_json(reply),
        )
    return reply.json()


def error_detail(reply: HttpReply) -> str:
    """The error text of a reply. The body is not in the seed; public client code reads
    `detail` (FastAPI style), `message` or `error` (inferred)."""
    body = _safe_json(reply)
    for key in ("detail", "message", "error", "code"):
        value = body.get(key)
        if value:
            return value if isinstance(value, str) else json.dumps(value)[:500]
    return reply.content[:200].decode(errors="replace") or f"HTTP {reply.status}"


def _safe_json(reply: HttpReply) -> dict:
    try:
        body = reply.json()
    except TransientProviderError:
        return {}
    return redact(body, ALWAYS_REDACTED) if isinstance(body, dict) else {"body": body}


def _unknown(message: str, *, rc: str = "", order_id: str = "", raw=None) -> ProviderResult:
    return ProviderResult(
        ProviderStatus.UNKNOWN, provider_order_id=order_id, message=message, rc=rc, raw=raw or {}
    )
