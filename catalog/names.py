"""The shop's names: how a provider's brand name is matched to the shop's brand, and which
of the shop's names (English or Indonesian) a page shows."""

import functools
import re
import unicodedata

from django.utils import translation

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=10_000)  # a price list repeats a few hundred brand names
def name_key(name: str) -> str:
    """What two brand names must share to be one brand: letters and digits only, lower
    case, accents dropped ("MOBILE LEGENDS", "Mobile Legends", "Mobile-Legends" and
    "mobilelegends" are one key). Empty when the name has no Latin letter or digit."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", text.lower())[:100]


def shop_name(obj) -> str:
    """`obj`'s name (a Brand, Category or ShopItem) in the active language: its `name_id`
    on Indonesian pages when staff gave one, else its (English) `name`."""
    language = (translation.get_language() or "en").split("-")[0]
    if language == "id":
        return (getattr(obj, "name_id", "") or "").strip() or obj.name
    return obj.name
