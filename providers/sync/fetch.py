"""Fetch a provider's price list whole and map each item to what the sync stores, keeping
the invalid ones as counted errors."""

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.utils.text import slugify

from catalog.brand_schemas import GENERIC_SCHEMAS, input_schema_for_brand
from catalog.face_values import face_value_parse
from catalog.models import DenominationType, InputSchema, Product, Provider
from catalog.names import name_key
from providers.base import CatalogItem, UpstreamAdapter

MAX_ERROR_LINES = 20  # item errors quoted in SyncRun.message (all are counted)

_COST_PLACES = Decimal("0.0001")  # Product.cost
_AMOUNT_PLACES = Decimal("0.01")  # Product.min_amount / max_amount
_COST_LIMIT = Decimal(10) ** 14  # 18 digits, 4 after the point
_STOCK_LIMIT = 2_147_483_647  # Product.stock
_AMOUNT_LIMIT = Decimal(10) ** 16  # 18 digits, 2 after the point
_SKU_LENGTH = Product._meta.get_field("provider_sku").max_length
_NAME_LENGTH = Product._meta.get_field("name").max_length
_DENOMINATION_TYPES = frozenset(DenominationType.values)  # `.values` rebuilds a list per call
_INPUT_SCHEMAS = frozenset(InputSchema.values)


class PriceListItem(NamedTuple):
    """One validated price-list item, without its raw reply (memory stays bounded)."""

    sku: str
    brand_key: str  # what the brand is matched by (`brand_key`)
    category_slug: str  # "" when the provider gives none
    name: str
    description: str
    cost: Decimal
    currency: str
    denomination_type: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    active: bool
    stock: int | None = None
    cutoff_start: time | None = None
    cutoff_end: time | None = None
    face_value: Decimal | None = None  # parsed from the name (FIXED items only)


@dataclass
class BrandSeed:
    """What a new brand starts with (and an existing one's empty fields are filled from):
    per field, the first non-empty value among the brand's items."""

    name: str
    slug: str = ""  # a new brand's slug
    category_slug: str = ""
    image_url: str = ""
    description: str = ""
    input_schema: str = ""


@dataclass
class PriceList:
    """A fetched price list: its valid items, the categories and brands they name, and the
    item errors (the first MAX_ERROR_LINES quoted, all counted)."""

    items: list[PriceListItem] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # slug → name
    brands: dict[str, BrandSeed] = field(default_factory=dict)  # brand key → seed
    errors: list[str] = field(default_factory=list)  # the first MAX_ERROR_LINES
    error_count: int = 0

    def add_error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERROR_LINES:
            self.errors.append(message)


def price_list_fetch(provider: Provider, adapter: UpstreamAdapter) -> PriceList:
    """The whole price list, validated, keeping only what the sync writes."""
    price_list = PriceList()
    seen: set[str] = set()
    for raw_item in adapter.fetch_catalog():
        try:
            item = _validated(raw_item, provider)
        except ValueError as exc:
            price_list.add_error(f"item {raw_item.sku!r}: {exc}")
            continue
        if item.sku in seen:
            price_list.add_error(f"item {item.sku!r}: listed twice, the first one is used")
            continue
        seen.add(item.sku)
        price_list.items.append(item)
        if item.category_slug:
            price_list.categories.setdefault(item.category_slug, str(raw_item.category).strip())
        _add_brand_seed(price_list.brands, item, raw_item)
    return price_list


def _validated(item: CatalogItem, provider: Provider) -> PriceListItem:
    """`item` as the sync stores it; ValueError saying what is wrong with it."""
    sku = str(item.sku or "").strip()
    if not sku or len(sku) > _SKU_LENGTH:
        raise ValueError(f"the SKU is empty or longer than {_SKU_LENGTH} characters")
    brand = brand_key(item.brand)
    if not brand:
        raise ValueError("no brand")
    currency = str(item.currency or "").upper()
    if currency != provider.currency:
        raise ValueError(f"currency {currency} differs from the provider's {provider.currency}")
    if item.denomination_type not in _DENOMINATION_TYPES:
        raise ValueError(f"unknown denomination type {item.denomination_type!r}")
    cost = _decimal(item.cost, _COST_PLACES, _COST_LIMIT, "cost")
    min_amount = _decimal(item.min_amount, _AMOUNT_PLACES, _AMOUNT_LIMIT, "min_amount")
    max_amount = _decimal(item.max_amount, _AMOUNT_PLACES, _AMOUNT_LIMIT, "max_amount")
    if item.denomination_type == DenominationType.FLEXIBLE and (
        min_amount is None or max_amount is None or min_amount > max_amount
    ):
        raise ValueError("a flexible item needs min_amount <= max_amount")
    fixed = item.denomination_type == DenominationType.FIXED
    name = (str(item.name or "").strip() or sku)[:_NAME_LENGTH]
    return PriceListItem(
        sku=sku,
        brand_key=brand,
        category_slug=_slug(item.category),
        name=name,
        description=str(item.description or ""),
        cost=cost,
        currency=currency,
        denomination_type=str(item.denomination_type),
        min_amount=min_amount,
        max_amount=max_amount,
        active=bool(item.active),
        stock=_stock(item.stock),
        cutoff_start=item.cutoff_start if isinstance(item.cutoff_start, time) else None,
        cutoff_end=item.cutoff_end if isinstance(item.cutoff_end, time) else None,
        face_value=face_value_parse(name) if fixed else None,
    )


def brand_key(name: str) -> str:
    """What a provider's brand name is matched to the shop's brands by: letters and digits
    only, lower case (`catalog.names.name_key`); a name without any gets the hash slug."""
    return name_key(name) or _slug(name)


def _stock(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return min(max(int(value), 0), _STOCK_LIMIT)
    except (TypeError, ValueError):
        return None


def _decimal(value, places: Decimal, limit: Decimal, name: str) -> Decimal | None:
    """`value` rounded to the column's places; ValueError when negative or too large."""
    if value is None:
        if name == "cost":
            raise ValueError("no cost")
        return None
    try:
        number = Decimal(str(value)).quantize(places)
    except InvalidOperation:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not 0 <= number < limit:
        raise ValueError(f"{name} {value} is out of range")
    return number


@functools.lru_cache(maxsize=10_000)  # a price list repeats a few hundred names
def _slug(name: str) -> str:
    """The slug a brand or category is matched by; names without a Latin letter or digit
    get a stable hash instead, so they are kept apart."""
    name = str(name or "").strip()
    if not name:
        return ""
    slug = slugify(name)[:100].strip("-")
    return slug or "x-" + hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


def _add_brand_seed(seeds: dict[str, BrandSeed], item: PriceListItem, raw: CatalogItem) -> None:
    seed = seeds.get(item.brand_key)
    if seed is None:
        seed = seeds[item.brand_key] = BrandSeed(
            name=str(raw.brand).strip()[:100], slug=_slug(raw.brand)
        )
    image_url = str(raw.brand_image_url or "")
    input_schema = _brand_input_schema(raw)
    candidates = {
        "category_slug": item.category_slug,
        "image_url": image_url if len(image_url) <= 200 else "",  # Brand.image_url length
        "description": item.description,
        "input_schema": "" if input_schema == InputSchema.OTHER else input_schema,
    }
    for name, value in candidates.items():
        if value and not getattr(seed, name):
            setattr(seed, name, value)


def _brand_input_schema(raw: CatalogItem) -> str:
    """The schema a brand's item asks for: the table's, by brand name, where the provider
    says only "some game id" or nothing; the provider's own where it is specific (a gift
    card's e-mail, a phone number, a meter)."""
    provided = raw.input_schema if raw.input_schema in _INPUT_SCHEMAS else ""
    if not provided or provided in GENERIC_SCHEMAS:
        return input_schema_for_brand(raw.brand) or provided
    return provided
