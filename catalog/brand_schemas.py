"""Which input schema a brand gets, from its name: one table for every provider's catalog.

The catalog sync gives a new brand the schema its name maps to here (providers.sync);
`assign_input_schemas` gives it to existing brands still on a generic schema. Staff can
change a brand's schema in the admin afterwards, and neither overrides that choice.
"""

import functools
import unicodedata

from catalog.models import InputSchema

# Schemas that say only "some game id" or nothing at all: a brand on one of these may be
# given the table's more specific schema. Any other schema is a choice kept as it is.
GENERIC_SCHEMAS = frozenset({InputSchema.OTHER, InputSchema.GAME, InputSchema.GAME_WITH_ZONE})

_NAMES = {
    InputSchema.MOBILE_LEGENDS: (
        "Mobile Legends",
        "Mobile Legends: Bang Bang",
        "Mobile Legends Bang Bang",
        "MLBB",
        "Mobile Legends A",
        "Mobile Legends Global",
    ),
    InputSchema.GAME_WITH_ZONE: ("Magic Chess Go Go", "Magic Chess: Go Go"),
    InputSchema.FREE_FIRE: ("Free Fire", "Free Fire Max", "Garena Free Fire", "FF"),
    InputSchema.PUBG_MOBILE: ("PUBG Mobile", "PUBG M", "PUBGM", "PUBG Mobile Global"),
    InputSchema.GENSHIN_IMPACT: ("Genshin Impact", "Genshin"),
    InputSchema.HONKAI_STAR_RAIL: ("Honkai: Star Rail", "Honkai Star Rail", "HSR"),
    InputSchema.RIOT_ID: ("Valorant", "Valorant Points"),
    InputSchema.CALL_OF_DUTY_MOBILE: (
        "Call of Duty Mobile",
        "Call of Duty: Mobile",
        "CODM",
        "COD Mobile",
    ),
    InputSchema.HONOR_OF_KINGS: ("Honor of Kings", "HOK"),
}


def normalise_brand_name(name: str) -> str:
    """A brand name as the table is keyed: accents dropped, letters and digits only,
    lower case ("Honkai: Star Rail" → "honkaistarrail")."""
    decomposed = unicodedata.normalize("NFKD", str(name or ""))
    return "".join(char for char in decomposed.casefold() if char.isascii() and char.isalnum())


BRAND_SCHEMAS: dict[str, str] = {
    normalise_brand_name(name): str(schema) for schema, names in _NAMES.items() for name in names
}


@functools.lru_cache(maxsize=10_000)  # a price list repeats a few hundred brand names
def input_schema_for_brand(name: str) -> str:
    """The schema the table gives a brand called `name`; "" when it names none."""
    return BRAND_SCHEMAS.get(normalise_brand_name(name), "")
