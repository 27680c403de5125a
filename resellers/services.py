"""Reseller API writes: keys, callback settings, and orders placed under a reseller's ref_id."""

import base64
import hashlib
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.input_schemas import validate_customer_input
from catalog.models import Brand, Product, ShopItem
from catalog.selectors import product_for_order
from catalog.services.items import catalog_item_price_for
from orders.account_checks import ACCOUNT_NOT_FOUND, CHECKS_RATE_LIMITED
from orders.models import Order, PaymentMethod, Voucher
from orders.promotions import order_promotion_quote
from orders.purchase import Purchase
from orders.routing import item_with_routes, route_choose
from orders.services.creation import order_amount_checked, order_create_paid_from_wallet
from providers.account_check import (
    AccountCheck,
    AccountCheckStatus,
    RateLimit,
    account_check,
    account_checks_enabled,
)
from resellers.key_cache import api_keys_changed
from resellers.models import ApiKey, ApiOrder, ResellerSettings
from resellers.urlguard import UnresolvableUrl, UnsafeUrl, check_callback_url
from shop.errors import ApplicationError
from shop.precompiled import PrecompiledInsert
from wallets.services import wallet_for_user

KEY_PREFIX = "rk_"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# After a rotation the old secret keeps signing this long, so receivers can switch over.
SECRET_GRACE = timedelta(hours=24)
MAX_KEYS_PER_USER = 20


def _require_reseller(user) -> None:
    if not user.is_reseller:
        raise ApplicationError("Only resellers may use the API.", code="not_reseller")


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def clean_networks(networks: list[str]) -> list[str]:
    """Normalise CIDRs (a bare address is a /32 or /128); ApplicationError names a bad one."""
    cleaned = []
    for network in networks:
        network = network.strip()
        if not network:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(network, strict=False)))
        except ValueError:
            raise ApplicationError(
                f"{network!r} is not an IP address or CIDR network.", code="invalid_network"
            ) from None
    return cleaned


@transaction.atomic
def api_key_create(
    *, user, name: str = "", allowed_networks: list[str] | None = None, rate_limit_per_minute=600
) -> tuple[ApiKey, str]:
    """A new key for a reseller; returns the key row and the raw key, which is never stored
    (only its SHA-256) and so can be shown only this once."""
    _require_reseller(user)
    if ApiKey.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_KEYS_PER_USER:
        raise ApplicationError("Too many active keys: revoke one first.", code="too_many_keys")
    if not 1 <= int(rate_limit_per_minute) <= 100_000:
        raise ApplicationError("The rate limit must be 1 to 100000 a minute.", code="invalid")
    networks = clean_networks(allowed_networks or [])
    prefix = KEY_PREFIX + secrets.token_hex(4)
    raw_key = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        user=user,
        name=name[:100],
        prefix=prefix,
        key_hash=key_hash(raw_key),
        allowed_networks=networks,
        rate_limit_per_minute=int(rate_limit_per_minute),
    )
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; revoking twice keeps the first time. Every process refuses it within
    a second of the commit (`resellers.key_cache`)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_keys_changed()
    api_key.refresh_from_db()
    return api_key


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def reseller_settings_for(*, user) -> ResellerSettings:
    """The reseller's callback settings, created with a fresh secret on first use."""
    found, _ = ResellerSettings.objects.get_or_create(user=user, defaults={"secret": new_secret()})
    return found


@transaction.atomic
def reseller_set_callback_url(*, user, url: str) -> ResellerSettings:
    """Store the callback URL ("" turns callbacks off). Refused (`unsafe_url`) unless https
    to a public address, where simulators are off (see resellers.urlguard)."""
    _require_reseller(user)
    url = url.strip()
    if url:
        try:
            check_callback_url(url)
        except (UnsafeUrl, UnresolvableUrl) as exc:
            raise ApplicationError(str(exc), code="unsafe_url") from None
    found = reseller_settings_for(user=user)
    ResellerSettings.objects.filter(pk=found.pk).update(callback_url=url, updated_at=timezone.now())
    found.refresh_from_db()
    return found


@transaction.atomic
def reseller_rotate_secret(*, user, grace: timedelta = SECRET_GRACE) -> ResellerSettings:
    """A new signing secret; the current one keeps signing too (both signatures are sent)
    for `grace`."""
    _require_reseller(user)
    found = ResellerSettings.objects.select_for_update().get(pk=reseller_settings_for(user=user).pk)
    found.previous_secret = found.secret
    found.previous_secret_expires_at = timezone.now() + grace
    found.secret = new_secret()
    found.save()
    return found


def signing_secrets(found: ResellerSettings) -> list[str]:
    """The secrets that sign now: the current one, and the previous one in its grace period."""
    active = [found.secret]
    expires = found.previous_secret_expires_at
    if found.previous_secret and expires is not None and expires > timezone.now():
        active.append(found.previous_secret)
    return active


@dataclass(frozen=True)
class ApiOrderRequest:
    """What a reseller asks the API to order (the provider-facing one is
    `providers.base.OrderRequest`): the shop item `item_id`, or (deprecated) a provider
    product `product_id`, whose shop item is bought."""

    customer_data: dict
    item_id: int | None = None
    product_id: int | None = None
    amount: Decimal | None = None
    promo_code: str = ""

    def fingerprint(self) -> str:
        # A promo code is part of the request only when given: the fingerprints of
        # requests without one stay what they were.
        code = {"promo_code": self.promo_code.strip().upper()} if self.promo_code else {}
        target = (
            {"item_id": self.item_id}
            if self.item_id is not None
            else {"product_id": self.product_id}  # as before items: old replays match
        )
        canonical = json.dumps(
            {
                **target,
                "customer_data": self.customer_data,
                "amount": None if self.amount is None else str(self.amount.normalize()),
                **code,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def purchase(self, *, user, item: ShopItem) -> Purchase:
        """The order service's purchase: `item` (this request's) paid from `user`'s wallet."""
        return Purchase(
            item=item,
            customer_data=self.customer_data,
            payment_method=PaymentMethod.BALANCE,
            user=user,
            amount=self.amount,
            promo_code=self.promo_code,
        )


@dataclass(frozen=True)
class OrderQuote:
    item: ShopItem
    price: Decimal
    currency: str
    balance: Decimal
    customer_no: str
    list_price: Decimal | None = None  # before the promotion (the price when none)
    discount: Decimal = Decimal("0")
    promotion: str = ""  # "code" or "flash_sale" ("" none)


def api_order_validate(*, user, request: ApiOrderRequest) -> OrderQuote:
    """Check an order as `api_order_create` would, without charging or writing anything:
    the item is for sale at the reseller's tier and a route may take it now, the fields
    pass the brand's schema, and the wallet holds the price (after the promo code or the
    item's flash sale). Refusals: `unknown_item`, `unknown_product`, `not_for_sale`,
    `promo_code_refused` (`extra["reason"]`), `invalid_input` (fields in `extra`),
    `insufficient_balance` (balance in `extra`). Asks routing as an order does
    (`route_choose`), so a half-open circuit may give its probe to this check."""
    _require_reseller(user)
    item = item_with_routes(_item(request))
    amount = order_amount_checked(product=item, amount=request.amount)
    quote = catalog_item_price_for(item=item, tier=user.price_tier, amount=amount)
    if not quote.for_sale or route_choose(item, amount=amount, max_cost=quote.price) is None:
        raise ApplicationError(f"{item.name} is not for sale right now.", code="not_for_sale")
    promotion = order_promotion_quote(
        purchase=request.purchase(user=user, item=item),
        item=item,
        tier=user.price_tier,
        quote=quote,
    )
    try:
        customer = validate_customer_input(
            schema=item.brand.input_schema, data=request.customer_data
        )
    except ValidationError as exc:
        raise ApplicationError(
            "Please correct the account details.",
            code="invalid_input",
            extra={"fields": exc.message_dict},
        ) from None
    wallet = wallet_for_user(user=user)
    price = promotion.price
    if wallet.balance < price:
        raise ApplicationError(
            f"Insufficient balance: {wallet.balance} {wallet.currency} available, "
            f"{price} {wallet.currency} needed.",
            code="insufficient_balance",
            extra={"balance": str(wallet.balance), "needed": str(price)},
        )
    kind = "code" if promotion.promo_code else "flash_sale" if promotion.flash_sale else ""
    return OrderQuote(
        item,
        price,
        wallet.currency,
        wallet.balance,
        customer.customer_no,
        list_price=quote.price,
        discount=promotion.discount,
        promotion=kind,
    )


def _product(product_id: int) -> Product:
    product = product_for_order(product_id=product_id)
    if product is None:
        raise ApplicationError(
            f"There is no product {product_id}.",
            code="unknown_product",
            extra={"product_id": product_id},
        )
    return product


def _item(request: ApiOrderRequest) -> ShopItem:
    """The shop item `request` buys: by `item_id`, else the item of its (deprecated)
    `product_id`; `unknown_item` / `unknown_product`, or `not_for_sale` for a product no
    item sells."""
    if request.item_id is None:
        product = _product(request.product_id)
        if product.shop_item_id is None:
            raise ApplicationError(
                f"{product.name} is not for sale right now.", code="not_for_sale"
            )
        request_item_id = product.shop_item_id
    else:
        request_item_id = request.item_id
    item = ShopItem.objects.select_related("brand").filter(pk=request_item_id).first()
    if item is None:
        raise ApplicationError(
            f"There is no item {request_item_id}.",
            code="unknown_item",
            extra={"item_id": request_item_id},
        )
    return item


def _brand_of(*, product_id: int | None, brand_slug: str | None, item_id: int | None) -> Brand:
    if item_id is not None:
        return _item(ApiOrderRequest(customer_data={}, item_id=item_id)).brand
    if product_id is not None:
        return _product(product_id).brand
    brand = Brand.objects.filter(slug=brand_slug or "").first()
    if brand is None:
        raise ApplicationError(
            f"There is no brand {brand_slug}.", code="unknown_brand", extra={"brand": brand_slug}
        )
    return brand


def _checked_fields(*, brand: Brand, customer_data: dict) -> dict[str, str]:
    try:
        return validate_customer_input(schema=brand.input_schema, data=customer_data).fields
    except ValidationError as exc:
        raise ApplicationError(
            "Please correct the account details.",
            code="invalid_input",
            extra={"fields": exc.message_dict},
        ) from None


def _rate_limited(result: AccountCheck) -> ApplicationError:
    return ApplicationError(
        CHECKS_RATE_LIMITED % {"seconds": result.retry_after},
        code="account_checks_rate_limited",
        extra={"retry_after": result.retry_after},
    )


def api_account_check(
    *,
    user,
    customer_data: dict,
    product_id: int | None = None,
    brand_slug: str | None = None,
    rate_limits: tuple[RateLimit, ...] = (),
    item_id: int | None = None,
) -> tuple[Brand, AccountCheck]:
    """Whose account `customer_data` names, for the brand of `item_id` (or the deprecated
    `product_id`, or `brand_slug`): the brand and a FOUND check. Every other answer is a
    refusal: `unknown_item`, `unknown_product`,
    `unknown_brand`, `invalid_input`; `account_not_found`; `account_check_unsupported` (no
    provider checks the brand); `account_check_unavailable` (no provider answered now);
    `account_checks_rate_limited` (the key's account-check limit; `retry_after`)."""
    _require_reseller(user)
    brand = _brand_of(product_id=product_id, brand_slug=brand_slug, item_id=item_id)
    fields = _checked_fields(brand=brand, customer_data=customer_data)
    result = account_check(brand=brand, fields=fields, rate_limits=rate_limits)
    if result.found:
        return brand, result
    if result.status == AccountCheckStatus.NOT_FOUND:
        raise ApplicationError(ACCOUNT_NOT_FOUND, code="account_not_found")
    if result.status == AccountCheckStatus.RATE_LIMITED:
        raise _rate_limited(result)
    if result.status == AccountCheckStatus.UNSUPPORTED:
        raise ApplicationError(
            f"No provider checks accounts of {brand.name}.", code="account_check_unsupported"
        )
    raise ApplicationError(
        "The account could not be checked right now. Try again in a minute.",
        code="account_check_unavailable",
    )


def _account_precheck(*, request: ApiOrderRequest, rate_limits: tuple[RateLimit, ...]) -> None:
    """The order's account check under the key's limit, before the order's transaction (no
    provider call inside it: the order services then read the cached answer). Only a rate
    limit refuses here; every other answer is the order services' to judge."""
    if not rate_limits:
        return
    try:
        brand = _item(request).brand
        fields = _checked_fields(brand=brand, customer_data=request.customer_data)
    except ApplicationError:
        return
    result = account_check(brand=brand, fields=fields, rate_limits=rate_limits)
    if result.status == AccountCheckStatus.RATE_LIMITED:
        raise _rate_limited(result)


class _RefIdTaken(Exception):
    """The reseller's ref_id is taken: roll the new order's transaction back."""


def api_order_create(
    *,
    user,
    ref_id: str,
    request: ApiOrderRequest,
    rate_limits: tuple[RateLimit, ...] = (),
) -> tuple[ApiOrder, bool]:
    """Create and pay (from the wallet) an order under the reseller's `ref_id`; returns the
    ApiOrder and whether it is new.

    Idempotent per reseller and ref_id: the same ref_id with the same request returns the
    first order and charges nothing; with another request it raises `idempotency_conflict`.
    The ApiOrder row is written right after the order, before the wallet debit: a
    duplicate, even a concurrent one (which waits on the unique index until the first
    commits), rolls its whole transaction back and then finds the first order. A refusal
    (insufficient balance, bad fields, a product gone off sale) rolls everything back too:
    the ref_id stays free, unless it was used before, in which case the first order is the
    answer. The account is checked first (under `rate_limits`), outside the transaction;
    an account the check refuses is refused like bad fields (`orders.account_checks`).
    """
    _require_reseller(user)
    fingerprint = request.fingerprint()
    # (a ref_id sent again gets its first order: no check, no count)
    if account_checks_enabled() and not ApiOrder.objects.filter(user=user, ref_id=ref_id).exists():
        _account_precheck(request=request, rate_limits=rate_limits)
    try:
        return _api_order_insert(
            user=user, ref_id=ref_id, fingerprint=fingerprint, request=request
        ), True
    except _RefIdTaken:
        existing = ApiOrder.objects.select_related("order").get(user=user, ref_id=ref_id)
    except ApplicationError:
        existing = ApiOrder.objects.select_related("order").filter(user=user, ref_id=ref_id)
        existing = existing.first()
        if existing is None:
            raise
    if existing.fingerprint != fingerprint:
        raise ApplicationError(
            f"The ref_id {ref_id} was already used for a different order.",
            code="idempotency_conflict",
            extra={"ref_id": ref_id},
        )
    return existing, False


_API_ORDER_INSERT = PrecompiledInsert(ApiOrder)  # shop.precompiled: compiled once


@transaction.atomic
def _api_order_insert(*, user, ref_id: str, fingerprint: str, request: ApiOrderRequest) -> ApiOrder:
    """The order, its ApiOrder, then the payment, in one transaction. A taken ref_id is
    found before the wallet is locked: a duplicate never waits on the wallet for nothing."""
    recorded: list[ApiOrder] = []

    def record_ref_id(order: Order) -> None:
        api_order = ApiOrder(user=user, ref_id=ref_id, fingerprint=fingerprint, order=order)
        try:
            # No savepoint of its own: a taken ref_id rolls the whole transaction back.
            _API_ORDER_INSERT.insert([api_order])
        except IntegrityError:
            raise _RefIdTaken from None
        recorded.append(api_order)

    order = order_create_paid_from_wallet(
        purchase=request.purchase(user=user, item=_item(request)),
        before_debit=record_ref_id,
    )
    # The reply is the order as this transaction leaves it: paid, with no vouchers yet
    # (so reading them takes no query).
    order._prefetched_objects_cache = {"vouchers": Voucher.objects.none()}
    return recorded[0]
