"""Giving existing brands the input schema their name maps to (catalog.brand_schemas)."""

from dataclasses import dataclass

from django.db import transaction

from catalog.brand_schemas import GENERIC_SCHEMAS, input_schema_for_brand
from catalog.models import Brand


@dataclass(frozen=True)
class SchemaChange:
    brand: str  # the brand's slug
    old: str
    new: str


def brand_input_schemas_assign(*, dry_run: bool = False) -> list[SchemaChange]:
    """Give every brand still on a generic schema (other, game, game_zone) the one the table
    maps its name to; a brand whose schema staff chose (any other) is left alone. One
    transaction with the brands locked; running it again changes nothing. With `dry_run`,
    only says what it would change."""
    changes: list[SchemaChange] = []
    with transaction.atomic():
        brands = Brand.objects.filter(input_schema__in=GENERIC_SCHEMAS).order_by("pk")
        for brand in brands.select_for_update():
            schema = input_schema_for_brand(brand.name)
            if not schema or schema == brand.input_schema:
                continue
            changes.append(SchemaChange(brand.slug, brand.input_schema, schema))
            if not dry_run:
                brand.input_schema = schema
                brand.save(update_fields=["input_schema"])
    return changes
