"""The face value of a provider product, read from its name: what the buyer gets, in the
item's unit ("MOBILE LEGENDS 86 Diamond" → 86, "Telkomsel 10.000" → 10000). Provider
products of one brand with the same face value are the same shop item (the admin's mapping
suggestions and the sync's auto-map, docs/catalog.md).

The parser would rather say nothing than guess: a name with several plain numbers and no
unit after any of them ("XL Xtra Combo 10GB 30 Hari") has no face value.
"""

import functools
import re
from decimal import Decimal, InvalidOperation

# A number as providers write it: "86", "10.000" or "10,000" (thousands, Indonesian or
# English grouping), "1.5" or "1,5" (a fraction, rare), "10rb"/"10k" (thousands).
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d{1,2})?)"
    r"(?P<thousands>\s?(?:rb|ribu|k)\b)?"
    r"(?:\s*(?P<unit>[^\W\d_]+))?",
    re.IGNORECASE,
)
# "300+30 Genesis Crystals": a bonus written as a sum is part of the face value.
_SUM = re.compile(r"(?<![\w.,])(\d{1,6})\s*\+\s*(\d{1,6})(?![\d.,])")
# Units that are the face value of a top-up: what comes after the number in game items.
_UNITS = frozenset(
    {
        "diamond", "diamonds", "dm", "dms", "uc", "cp", "vp", "gems", "gem", "coins", "coin",
        "crystal", "crystals", "genesis", "shells", "shell", "points", "point", "poin", "tokens",
        "token", "gold", "cash", "credits", "credit", "tickets", "ticket", "pulsa", "saldo",
        "voucher", "robux", "primogems", "oneiric", "lunites", "koin", "chips", "chip",
    }
)  # fmt: skip
# Units that say the number is not the face value: data size, validity, speed.
_NOT_FACE = frozenset(
    {
        "gb", "mb", "kb", "tb", "hari", "day", "days", "jam", "hour", "hours", "bulan", "month",
        "months", "minggu", "week", "weeks", "menit", "minutes", "mbps", "x", "kali", "pcs",
    }
)  # fmt: skip


_LIMIT = Decimal(10) ** 15  # ShopItem/Product.face_value: 18 digits, 2 after the point


@functools.lru_cache(maxsize=20_000)  # a sync parses each new name once; names repeat
def face_value_parse(name: str) -> Decimal | None:
    """The face value in `name`, or None when there is none or it is ambiguous.

    - A number followed by a top-up unit ("86 Diamonds", "60 UC") wins, the first one.
    - Otherwise the one number not followed by a data/validity unit ("Telkomsel 10.000");
      none, or more than one, gives None.
    - "10.000" and "10,000" are ten thousand; "10rb" and "10k" too; "1,5" is 1.5;
      "300+30" (a bonus) is 330.
    """
    candidates: list[Decimal] = []
    text = _SUM.sub(lambda m: str(int(m.group(1)) + int(m.group(2))), str(name or ""))
    for match in _NUMBER.finditer(text):
        value = _number(match.group("number"))
        if value is None:
            continue
        if match.group("thousands"):
            value = value * 1000 if value * 1000 < _LIMIT else None
        if value is None:
            continue
        unit = (match.group("unit") or "").lower()
        if unit in _UNITS:
            return value
        if unit in _NOT_FACE:
            continue
        candidates.append(value)
    return candidates[0] if len(candidates) == 1 else None


def _number(text: str) -> Decimal | None:
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
        text = re.sub(r"[.,]", "", text)  # grouped thousands
    else:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None
    return value if 0 < value < _LIMIT else None
