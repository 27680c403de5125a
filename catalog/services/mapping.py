"""Mapping provider products to the shop's items: staff's mapping (one item for many
products, a new item per product), the suggestions the admin shows, and the sync's auto-map
(set-based, in SQL).

A product is one route of at most one shop item (`Product.shop_item`); an unmapped product
(no item, not a bill) is not sold and is listed "to map" in the admin. Two products are the
same item when they are of one brand and one face value (`catalog.face_values`), and never
when they come from the same provider: a provider lists one thing once, so two of its
products with one face value are different things (pulsa and a data package of 10,000).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from catalog.models import Brand, DenominationType, Product, Provider, ShopItem
from catalog.services.items import catalog_reprice_items
from shop.errors import ApplicationError

SUGGESTIONS = 5  # items suggested per product


def unmapped_products() -> QuerySet[Product]:
    """Products not mapped to any shop item (bills excepted: they are sold by inquiry)."""
    return Product.objects.filter(shop_item__isnull=True).exclude(
        denomination_type=DenominationType.BILL
    )


def mapping_suggestions(*, product: Product, limit: int = SUGGESTIONS) -> list[ShopItem]:
    """The shop items `product` may be a route of, best first: of its brand and
    denomination type, without a route from its provider; those of its face value first
    (only those, when it has one and any match), then by name. Empty for a bill."""
    if product.is_bill:
        return []
    same_provider = Product.objects.filter(
        shop_item=OuterRef("pk"), provider_id=product.provider_id
    )
    items = (
        ShopItem.objects.filter(
            brand_id=product.brand_id, denomination_type=product.denomination_type
        )
        .exclude(Exists(same_provider))
        .exclude(pk=product.shop_item_id or 0)
        .select_related("brand")
    )
    if product.face_value is not None:
        same_value = items.filter(face_value=product.face_value)
        if same_value.exists():
            return list(same_value.order_by("sort_order", "name", "pk")[:limit])
    return list(items.order_by("face_value", "sort_order", "name", "pk")[:limit])


def product_map_to_item(*, products: Iterable[Product], item: ShopItem) -> int:
    """Make each of `products` a route of `item`; return how many changed.

    All or nothing: ApplicationError (code "mapping_refused", saying which product and why)
    when one is a bill, of another brand or denomination type than the item, or when two
    would be the item's routes from one provider. Products already the item's routes are
    left as they are; a product that was another item's route leaves it."""
    products = list(products)
    with transaction.atomic():
        item = ShopItem.objects.select_for_update().get(pk=item.pk)
        providers = set(
            Product.objects.filter(shop_item=item)
            .exclude(pk__in=[p.pk for p in products])
            .values_list("provider_id", flat=True)
        )
        for product in products:
            _check_mappable(product, item)
            if product.provider_id in providers:
                raise _refused(product, f"{item} already has a route from {product.provider.name}")
            providers.add(product.provider_id)
        moving = Product.objects.filter(pk__in=[p.pk for p in products]).exclude(shop_item=item)
        left_items = set(moving.exclude(shop_item=None).values_list("shop_item_id", flat=True))
        changed = moving.update(shop_item=item, updated_at=timezone.now())
        # The item's price floor now covers its new routes; the items they left lost one.
        catalog_reprice_items(items={item.pk, *left_items})
        return changed


def shop_items_create_for_products(*, products: Iterable[Product]) -> list[ShopItem]:
    """A new shop item for each of `products` (bills skipped), named and priced like it,
    with its face value and its brand's category, and the product as its one route.
    Return the new items."""
    created = []
    with transaction.atomic():
        for product in products:
            if product.is_bill:
                continue
            item = ShopItem.objects.create(**_item_fields(product))
            Product.objects.filter(pk=product.pk).update(shop_item=item, updated_at=timezone.now())
            created.append(item)
    return created


def _item_fields(product: Product) -> dict:
    brand = product.brand
    return {
        "brand_id": product.brand_id,
        "category_id": brand.category_id or product.category_id,
        "name": product.name,
        "denomination_type": product.denomination_type,
        "face_value": product.face_value,
        "min_amount": product.min_amount,
        "max_amount": product.max_amount,
        "image_url": brand.image_url,
        "active": True,
        "price_retail": product.price_retail,
        "price_reseller": product.price_reseller,
        "unavailable_reason": product.unavailable_reason,
    }


def _check_mappable(product: Product, item: ShopItem) -> None:
    if product.is_bill:
        raise _refused(product, "a postpaid bill type is sold by inquiry, not as an item")
    if product.brand_id != item.brand_id:
        raise _refused(product, f"it is of brand {product.brand}, the item of {item.brand}")
    if product.denomination_type != item.denomination_type:
        raise _refused(
            product,
            f"it is {product.get_denomination_type_display().lower()}, "
            f"the item {item.get_denomination_type_display().lower()}",
        )


def _refused(product: Product, why: str) -> ApplicationError:
    return ApplicationError(
        f"{product.name} ({product.provider_sku}) cannot be mapped: {why}.",
        code="mapping_refused",
    )


# --- the sync's auto-map -----------------------------------------------------------------


class AutoMapCounts(NamedTuple):
    linked: int  # new products linked to an existing item of their brand and face value
    created: int  # new products that got a shop item of their own
    unmapped: int  # left to staff: more than one item could be theirs


# The new products of a sync: the provider's unmapped products created since it started.
_NEW = (
    "{p}.provider_id = %(provider)s AND {p}.shop_item_id IS NULL "
    "AND {p}.denomination_type <> 'bill' AND {p}.created_at >= %(since)s"
)
# The items with a route from the provider already (never a second one), read once per
# statement: a hashed set, whatever the planner thinks of rows the sync has just written.
_TAKEN = (
    "taken AS MATERIALIZED (SELECT shop_item_id AS item_id FROM catalog_product "
    "WHERE provider_id = %(provider)s AND shop_item_id IS NOT NULL)"
)
# The items a new product `{p}` may be a route of: its brand, face value and type (fixed),
# and no route from its provider yet.
_CANDIDATES = (
    "SELECT {i}.id FROM catalog_shopitem {i} WHERE {i}.brand_id = {p}.brand_id "
    "AND {i}.face_value = {p}.face_value AND {i}.denomination_type = 'fixed' "
    "AND {p}.denomination_type = 'fixed' AND {i}.id NOT IN (SELECT item_id FROM taken)"
)
# Link: one candidate, and no other new product of the provider with that brand and face
# value (two of one provider are two things: staff pick which is the item's). Set-based:
# the new products with their twins counted (a window), then their candidates (an index
# lookup each, against the hashed `taken`), then one UPDATE.
_LINK_SQL = f"""
WITH {_TAKEN}, new AS (
    SELECT n.id, n.brand_id, n.face_value,
           count(*) OVER (PARTITION BY n.brand_id, n.face_value) AS twins
      FROM catalog_product n
     WHERE {_NEW.format(p="n")} AND n.denomination_type = 'fixed'
       AND n.face_value IS NOT NULL
), one_candidate AS (
    SELECT n.id AS product_id, min(i.id) AS item_id
      FROM new n
      JOIN catalog_shopitem i ON i.brand_id = n.brand_id AND i.face_value = n.face_value
       AND i.denomination_type = 'fixed'
     WHERE n.twins = 1 AND i.id NOT IN (SELECT item_id FROM taken)
     GROUP BY n.id HAVING count(*) = 1
)
UPDATE catalog_product AS p SET shop_item_id = c.item_id, updated_at = %(now)s
  FROM one_candidate AS c WHERE p.id = c.product_id
"""  # noqa: S608 - constants only; values are parameters
# Create: the new products no item could be theirs.
_WITHOUT_CANDIDATE = f"{_NEW.format(p='n')} AND NOT EXISTS ({_CANDIDATES.format(i='ci', p='n')})"
# PostgreSQL: one statement makes an item per product (ids drawn from the item sequence)
# and links each product to its item.
_CREATE_SQL_POSTGRESQL = f"""
WITH {_TAKEN}, src AS (
    SELECT n.id AS product_id,
           nextval(pg_get_serial_sequence('catalog_shopitem', 'id')) AS item_id,
           n.brand_id, coalesce(b.category_id, n.category_id) AS category_id, n.name,
           n.denomination_type, n.face_value, n.min_amount, n.max_amount, b.image_url,
           n.price_retail, n.price_reseller, n.unavailable_reason
      FROM catalog_product n JOIN catalog_brand b ON b.id = n.brand_id
     WHERE {_WITHOUT_CANDIDATE}
), items AS (
    INSERT INTO catalog_shopitem (
        id, brand_id, category_id, name, name_id, denomination_type, face_value, min_amount,
        max_amount, image_url, sort_order, active, allow_below_cost, price_retail,
        price_reseller, unavailable_reason, created_at, updated_at)
    SELECT item_id, brand_id, category_id, name, '', denomination_type, face_value,
           min_amount, max_amount, image_url, 0, TRUE, FALSE, price_retail, price_reseller,
           unavailable_reason, %(now)s, %(now)s
      FROM src
)
UPDATE catalog_product AS p SET shop_item_id = src.item_id, updated_at = %(now)s
  FROM src WHERE p.id = src.product_id
"""  # noqa: S608 - constants only; values are parameters


def shop_items_auto_map(*, provider: Provider, since: datetime) -> AutoMapCounts:
    """The sync's auto-map (`CATALOG_AUTO_MAP`), set-based: `provider`'s products created
    since `since` and still unmapped (bills excepted) are linked to the one shop item of
    their brand and face value without a route from `provider`, or, when no item could be
    theirs, get a new item each (named, priced and valued like the product). A product
    that more than one item could be the item of, or that shares its brand and face value
    with another new product of `provider` while an item exists, stays unmapped for staff.
    Run inside the sync's transaction; return the counts."""
    params = {"provider": provider.pk, "since": since, "now": timezone.now()}
    new = unmapped_products().filter(provider=provider, created_at__gte=since)
    to_map = new.count()
    if not to_map:
        return AutoMapCounts(linked=0, created=0, unmapped=0)
    with connection.cursor() as cursor:
        cursor.execute(_LINK_SQL, params)  # (SQLite gives no row count for WITH ... UPDATE)
        if _creates_in_one_statement():
            cursor.execute(_CREATE_SQL_POSTGRESQL, params)
            created = cursor.rowcount
        else:
            created = _create_items_orm(params)
    unmapped = new.count()
    _reprice_items_given_routes(provider=provider, since=since)
    return AutoMapCounts(linked=to_map - created - unmapped, created=created, unmapped=unmapped)


def _reprice_items_given_routes(*, provider: Provider, since: datetime) -> int:
    """Reprice the items that a new product of `provider` joined as a second (or later)
    route: their price floor must cover it. (An item made for a new product is priced like
    that product already.)"""
    new_route = Product.objects.filter(
        provider=provider, created_at__gte=since, shop_item=OuterRef("pk")
    )
    other_route = Product.objects.filter(shop_item=OuterRef("pk")).exclude(provider=provider)
    joined = ShopItem.objects.filter(Exists(new_route), Exists(other_route))
    return catalog_reprice_items(items=joined.values_list("pk", flat=True))


def _creates_in_one_statement() -> bool:
    """Whether the new items are made by `_CREATE_SQL_POSTGRESQL` (PostgreSQL)."""
    return connection.vendor == "postgresql"


def _create_items_orm(params: dict) -> int:
    """`_CREATE_SQL_POSTGRESQL` on other backends (SQLite, `make run`): the products read
    in one query, their items made by one bulk insert, the links by one bulk update."""
    products = list(
        Product.objects.raw(
            f"WITH {_TAKEN} SELECT n.* FROM catalog_product n "  # noqa: S608
            f"WHERE {_WITHOUT_CANDIDATE} ORDER BY n.id",
            params,
        )
    )
    if not products:
        return 0
    brands = Brand.objects.in_bulk({product.brand_id for product in products})
    for product in products:
        product.brand = brands[product.brand_id]
    items = ShopItem.objects.bulk_create([ShopItem(**_item_fields(p)) for p in products])
    for product, item in zip(products, items, strict=True):
        product.shop_item = item
        product.updated_at = params["now"]
    Product.objects.bulk_update(products, ["shop_item", "updated_at"], batch_size=1000)
    return len(items)
