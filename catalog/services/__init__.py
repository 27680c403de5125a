"""catalog's writes and the one pricing rule, by job: `pricing` (rules → price, reads only),
`repricing` (storing prices through the ORM), `items` (shop items priced from their
routes), `bulk` (the PostgreSQL COPY / UPDATE paths of the same) and `sql` (the bulk SQL
helpers).

The public names are importable from here, where the callers use them.
"""

from catalog.services.bulk import NewProduct, NewProductStage, catalog_insert_products
from catalog.services.items import ItemQuote, catalog_item_price_for, catalog_reprice_items
from catalog.services.pricing import PriceQuote, catalog_price_for, product_unavailable_reason
from catalog.services.repricing import (
    BULK_UPDATE_BATCH,
    catalog_create_products,
    catalog_reprice_all,
    catalog_reprice_product,
    catalog_reprice_products,
)
from catalog.services.sql import update_rows_by_pk, update_rows_from_stage

__all__ = [
    "BULK_UPDATE_BATCH",
    "ItemQuote",
    "NewProduct",
    "NewProductStage",
    "PriceQuote",
    "catalog_create_products",
    "catalog_insert_products",
    "catalog_item_price_for",
    "catalog_price_for",
    "catalog_reprice_all",
    "catalog_reprice_items",
    "catalog_reprice_product",
    "catalog_reprice_products",
    "product_unavailable_reason",
    "update_rows_by_pk",
    "update_rows_from_stage",
]
