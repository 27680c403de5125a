"""VIP Reseller replies mapped to the shop's dataclasses (docs/providers/vipreseller.md).

Order outcomes come from the one status table in `status.py`. Errors: a reply with
`"result": false` is VIP refusing the request (FAILED for an order, FinalProviderError for
a read, AccountNotFound for a nickname it cannot find); no reply, 429, 5xx or a reply that
is not VIP's JSON is UNKNOWN (orders) or TransientProviderError (reads).

VIP's `order` takes no reference of ours (the documented fields are `service`, `data_no`
and `data_zone`), so it is not idempotent. Consequences, the same care as FoxReload's:
- `place_order` sends the order once and hands VIP's `trxid` to the pipeline
  (`on_provider_order_id`) as soon as the reply carries it;
- `check_order` looks up by `trxid` only. Without one (the order's reply never came) it
  answers UNKNOWN, never NOT_FOUND: VIP may have made and charged the order, so the shop
  does not place it again by itself; it keeps the order, and a person settles it against
  VIP's transaction list (docs/providers/vipreseller.md).
"""

import re
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings

from catalog.input_schemas import schema_fields
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
from providers.http import ALWAYS_REDACTED, HttpReply, redact
from providers.vipreseller.client import CODE, PRODUCTION_BASE_URL, VipResellerClient
from providers.vipreseller.nicknames import NICKNAME_GAMES, brand_key, nickname_of, says_not_found
from providers.vipreseller.status import failure_kind, is_out_of_balance, transaction_status

CURRENCY = "IDR"
CATEGORY = "Games"
# The price list gives one price per membership level; ours is the profile's `level`. When
# the profile cannot be read, the basic price (the highest) is used: never below cost.
DEFAULT_PRICE_LEVEL = "basic"

NO_TRXID_MESSAGE = (
    "No VIP Reseller trxid: the order's reply never came, and VIP takes no reference of ours "
    "to find the order by. VIP may have made and charged it, so it is not placed again by "
    "itself: check VIP's transaction list (status with `limit`) and settle the order by hand."
)

# VIP sends a callback and game top-ups usually finish in a minute or two: a first status
# call 30 s after placing, every 30 s for two minutes, then every 2 minutes; the deadline
# 15 minutes after the first request, then the shop's slow schedule (never a refund).
PENDING_RULE = PendingRule(
    polls=(
        PollPhase(every=timedelta(seconds=30), until=timedelta(minutes=2)),
        PollPhase(every=timedelta(minutes=2), until=timedelta(minutes=14)),
    ),
    deadline=timedelta(minutes=15),
)


# Games whose order needs `data_zone` (Mobile Legends' zone id, a server for the Hoyoverse
# games); the rest take the account in `data_no` alone.
ZONE_GAMES = frozenset({"mobile legends", "magic chess go go"})
# VIP names some games twice by supplier ("Mobile Legends A", "Mobile Legends B"): one brand.
_VARIANT_SUFFIX = re.compile(r"\s+[ABC]$")


def brand_of(game: str) -> str:
    """The shop brand of a VIP `game` name: its supplier variant letter dropped."""
    return _VARIANT_SUFFIX.sub("", game.strip())


def order_target(request: OrderRequest) -> tuple[str, str]:
    """(`data_no`, `data_zone`) for VIP from the order's cleaned fields: the user id (or
    Riot ID, e-mail, phone, account) as `data_no`, Mobile Legends' zone id or a chosen
    server as `data_zone`. Without fields (an older order), the shop's customer_no, split
    at the "-" the Mobile Legends schema puts between user id and zone id."""
    data = request.customer_data or {}
    data_no = next(
        (
            str(data[name]).strip()
            for name in ("user_id", "riot_id", "account", "email", "phone", "meter_number")
            if data.get(name)
        ),
        "",
    )
    data_zone = str(data.get("zone_id") or data.get("server") or "").strip()
    if data_no:
        return data_no, data_zone
    user_id, _, zone = request.customer_no.partition("-")
    if zone.isdigit() and user_id.isdigit():
        return user_id, zone
    return request.customer_no, ""


def _text(value) -> str:
    return str(value if value is not None else "").strip()


def result_from_transaction(data: Mapping) -> ProviderResult:
    """A transaction object (order reply, status item or callback `data`) as a
    ProviderResult. A success carries the `note` (VIP's serial, or what a voucher-like
    service delivers) as the voucher's serial, and only there: it is kept out of the
    message and the raw reply, as every provider's codes are. A failure's note (the reason,
    e.g. "Zone tujuan salah.") is its message."""
    said = _text(data.get("status"))
    status = transaction_status(said)
    note = _text(data.get("note"))
    succeeded, failed = status == ProviderStatus.SUCCESS, status == ProviderStatus.FAILED
    return ProviderResult(
        status=status,
        provider_order_id=_text(data.get("trxid")),
        vouchers=[VoucherData(serial=note)] if succeeded and note else [],
        message=note if failed and note else f"VIP Reseller status {said or '(none)'}",
        rc=said.lower(),
        raw=redact(dict(data), ALWAYS_REDACTED | ({"note"} if succeeded else set())),
        failure_kind=failure_kind(note) if failed else "",
    )


def _refusal(body: Mapping, *, trxid: str = "") -> ProviderResult:
    """`"result": false` to an order: VIP refused it and made no transaction."""
    message = _text(body.get("message")) or "refused"
    out_of_balance = is_out_of_balance(message)
    return ProviderResult(
        ProviderStatus.FAILED,
        provider_order_id=trxid,
        message=f"VIP Reseller refused the order: {message}",
        rc="out_of_balance" if out_of_balance else "refused",
        raw=redact(dict(body), ALWAYS_REDACTED),
        provider_out_of_balance=out_of_balance,
        failure_kind=failure_kind(message),
    )


def _unknown(message: str, *, trxid: str = "", raw=None) -> ProviderResult:
    return ProviderResult(
        ProviderStatus.UNKNOWN, provider_order_id=trxid, message=message, raw=raw or {}
    )


def _body(reply: HttpReply) -> dict | None:
    """The reply's JSON object, or None when it is not one."""
    try:
        body = reply.json()
    except TransientProviderError:
        return None
    return body if isinstance(body, dict) else None


def _decimal(value, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransientProviderError(f"vipreseller sent a bad {what}: {value!r}") from None
    if not amount.is_finite():
        raise TransientProviderError(f"vipreseller sent a bad {what}: {value!r}")
    return amount


class VipResellerAdapter(UpstreamAdapter):
    """VIP Reseller's game feature: price list, order, status by trxid, balance (profile),
    and account names (get-nickname)."""

    code = CODE
    pending_rule = PENDING_RULE
    # An order is found only by VIP's own trxid (VIP takes no reference of ours).
    looks_up_by_reference = False

    def __init__(self, *, client: VipResellerClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> "VipResellerAdapter":
        """Built from VIPRESELLER_* settings at call time; NotConfigured names what is
        missing."""
        values = require_settings(CODE, "VIPRESELLER_API_ID", "VIPRESELLER_API_KEY")
        base_url = provider_base_url(
            code=CODE,
            configured=settings.VIPRESELLER_BASE_URL,
            production=PRODUCTION_BASE_URL,
            simulator_path="/api",
        )
        return cls(
            client=VipResellerClient(
                api_id=values["VIPRESELLER_API_ID"],
                api_key=values["VIPRESELLER_API_KEY"],
                base_url=base_url,
            )
        )

    # --- reads ------------------------------------------------------------------------------

    def _read(self, reply: HttpReply, *, what: str):
        """The `data` of a successful read; TransientProviderError (429, 5xx, not VIP's
        JSON) or FinalProviderError (`result: false`, another 4xx) otherwise."""
        if reply.status == 429 or reply.status >= 500:
            raise TransientProviderError(
                f"vipreseller {what}: HTTP {reply.status}", code=f"http_{reply.status}"
            )
        body = _body(reply)
        if body is None:
            if not reply.ok:
                raise FinalProviderError(
                    f"vipreseller {what}: HTTP {reply.status}", code=str(reply.status)
                )
            raise TransientProviderError(f"vipreseller {what}: the reply is not a JSON object")
        if body.get("result") is not True:
            message = _text(body.get("message")) or f"HTTP {reply.status}"
            raise FinalProviderError(f"vipreseller {what}: {message}", code="refused", raw=body)
        return body.get("data")

    def get_balance(self) -> Balance:
        data = self._read(self.client.profile(), what="profile")
        if not isinstance(data, dict) or "balance" not in data:
            raise TransientProviderError("vipreseller profile has no balance")
        return Balance(amount=_decimal(data["balance"], "balance"), currency=CURRENCY)

    def _price_level(self) -> str:
        try:
            data = self._read(self.client.profile(), what="profile")
        except (TransientProviderError, FinalProviderError):
            return DEFAULT_PRICE_LEVEL
        level = _text(data.get("level") if isinstance(data, dict) else "").lower()
        return level or DEFAULT_PRICE_LEVEL

    def fetch_catalog(self) -> list[CatalogItem]:
        """The whole game price list (`type=services`, unfiltered), priced at our level."""
        data = self._read(self.client.services(), what="services")
        if not isinstance(data, list):
            raise TransientProviderError("vipreseller services is not a list")
        level = self._price_level()
        return [
            item
            for item in (self._catalog_item(service, level) for service in data)
            if item is not None
        ]

    @staticmethod
    def _catalog_item(service, level: str) -> CatalogItem | None:
        if not isinstance(service, dict) or not _text(service.get("code")):
            return None
        price = service.get("price")
        if isinstance(price, dict):
            price = price.get(level, price.get(DEFAULT_PRICE_LEVEL))
        game = _text(service.get("game"))
        brand = brand_of(game)
        name = _text(service.get("name"))
        return CatalogItem(
            sku=_text(service["code"]),
            name=f"{game} {name}".strip(),
            brand=brand,
            category=CATEGORY,
            cost=_decimal(price, f"price of {service['code']}"),
            currency=CURRENCY,
            active=_text(service.get("status")).lower() == "available",
            denomination_type=DenominationType.FIXED,
            input_schema=(
                InputSchema.GAME_WITH_ZONE if brand_key(brand) in ZONE_GAMES else InputSchema.GAME
            ),
            raw=service,
        )

    # --- orders -----------------------------------------------------------------------------

    def place_order(self, request: OrderRequest) -> ProviderResult:
        """`type=order`, sent once. The trxid reaches the pipeline as soon as VIP gives it."""
        data_no, data_zone = order_target(request)
        try:
            reply = self.client.order(
                service=request.sku,
                data_no=data_no,
                data_zone=data_zone,
                reference=request.reference,
            )
        except TransientProviderError as exc:
            return _unknown(f"order: {exc.message}. {NO_TRXID_MESSAGE}")
        if reply.status == 429 or reply.status >= 500:
            return _unknown(f"order: HTTP {reply.status}. {NO_TRXID_MESSAGE}")
        body = _body(reply)
        if body is None:
            if not reply.ok:  # refused before VIP's code ran (a 4xx without VIP's JSON)
                return ProviderResult(
                    ProviderStatus.FAILED,
                    message=f"VIP Reseller refused the order: HTTP {reply.status}",
                    rc=str(reply.status),
                )
            return _unknown(f"order: the reply is not VIP's JSON. {NO_TRXID_MESSAGE}")
        if body.get("result") is not True:
            return _refusal(body)
        data = body.get("data")
        trxid = _text(data.get("trxid")) if isinstance(data, dict) else ""
        if not trxid:
            return _unknown(f"order: no trxid in the reply. {NO_TRXID_MESSAGE}", raw=body)
        if request.on_provider_order_id is not None:
            request.on_provider_order_id(trxid)
        return result_from_transaction(data)

    def check_order(self, request: OrderRequest) -> ProviderResult:
        """`type=status` by the order's trxid. Without a trxid, or when VIP cannot say,
        UNKNOWN (never NOT_FOUND: an order may exist at VIP that we cannot name)."""
        trxid = request.provider_order_id
        if not trxid:
            return _unknown(NO_TRXID_MESSAGE)
        try:
            reply = self.client.status(trxid=trxid, reference=request.reference)
        except TransientProviderError as exc:
            return _unknown(f"status: {exc.message}", trxid=trxid)
        body = _body(reply)
        if reply.status == 429 or reply.status >= 500 or body is None:
            return _unknown(f"status: no readable reply (HTTP {reply.status})", trxid=trxid)
        if body.get("result") is not True:
            message = _text(body.get("message")) or "no message"
            return _unknown(f"status: VIP Reseller could not say: {message}", trxid=trxid)
        data = body.get("data")
        items = data if isinstance(data, list) else [data]
        mine = [item for item in items if isinstance(item, dict)]
        match = next((item for item in mine if _text(item.get("trxid")) == trxid), None)
        if match is None and len(mine) == 1 and not _text(mine[0].get("trxid")):
            match = mine[0]
        if match is None:
            return _unknown(f"status: the reply does not name trxid {trxid}", trxid=trxid)
        return result_from_transaction({**match, "trxid": trxid})

    # --- account names ----------------------------------------------------------------------

    def looks_up_accounts(self, *, brand: str, input_schema: str) -> bool:
        """A game VIP checks, whose buyers type what the check needs: the user id (or Riot
        ID) and, where the game has one, the zone or server."""
        game = NICKNAME_GAMES.get(brand_key(brand))
        if game is None:
            return False
        try:
            typed = {spec.name for spec in schema_fields(input_schema)}
        except ValueError:  # a schema this code does not know
            return False
        has_account = bool(typed & {"user_id", "riot_id"})
        return has_account and (not game.additional_field or game.additional_field in typed)

    def account_lookup(
        self, *, brand: str, input_schema: str, fields: dict[str, str]
    ) -> AccountInfo:
        """`type=get-nickname`: `target` the user id (or Riot ID), `additional_target` the
        zone id or server where the game has one."""
        game = NICKNAME_GAMES.get(brand_key(brand))
        if game is None:
            raise FinalProviderError(f"VIP Reseller cannot check {brand} accounts")
        target = next(
            (str(fields[name]).strip() for name in ("user_id", "riot_id") if fields.get(name)),
            "",
        )
        additional = str(fields.get(game.additional_field) or "").strip()
        if not target or (game.additional_field and not additional):
            raise FinalProviderError("the account fields are incomplete", code="incomplete")
        reply = self.client.get_nickname(
            code=game.code, target=target, additional_target=additional
        )
        if reply.status == 429 or reply.status >= 500:
            raise TransientProviderError(
                f"vipreseller get-nickname: HTTP {reply.status}", code=f"http_{reply.status}"
            )
        body = _body(reply)
        if body is None:
            raise TransientProviderError("vipreseller get-nickname: the reply is not JSON")
        if body.get("result") is not True:
            message = _text(body.get("message")) or "no message"
            if says_not_found(message):
                raise AccountNotFound(message, code="not_found")
            raise FinalProviderError(f"vipreseller get-nickname: {message}", code="refused")
        name = nickname_of(body.get("data"))
        if not name:
            raise TransientProviderError("vipreseller get-nickname: no name in the reply")
        return AccountInfo(name=name)
