"""The face value parser: what a buyer gets, read from a provider's product name."""

from decimal import Decimal

import pytest

from catalog.face_values import face_value_parse

CASES = [
    # game top-ups: the number before the unit
    ("86 Diamonds", "86"),
    ("5 Diamond", "5"),
    ("MOBILE LEGENDS 86 Diamond", "86"),
    ("Mobile Legends A 172 Diamonds", "172"),
    ("Free Fire 1.080 Diamond", "1080"),
    ("PUBG Mobile 60 UC", "60"),
    ("Genshin Impact 60 Genesis Crystals", "60"),
    ("300+30 Genesis Crystals", "330"),  # a bonus written as a sum is part of it
    ("86 Diamond (78+8)", "86"),  # the unit's number wins over the sum in brackets
    ("Valorant 475 Points", "475"),
    ("Call of Duty Mobile 80 CP", "80"),
    # credit: the one amount, Indonesian or English grouping, "rb" and "k"
    ("Telkomsel 10.000", "10000"),
    ("Indosat 5.000", "5000"),
    ("PLN 100.000", "100000"),
    ("Steam Wallet 1,000,000", "1000000"),
    ("Google Play 10k", "10000"),
    ("Pulsa 25rb", "25000"),
    ("Voucher 1,5", "1.5"),
    # nothing, or nothing certain: no guess
    ("Weekly Diamond Pass", None),
    ("Twilight Pass", None),
    ("XL Data 1GB 7 Hari", None),  # data size and validity are not a face value
    ("XL Xtra Combo 10GB 30 Hari", None),
    ("Paket 10.000 20.000", None),  # two plain amounts: ambiguous
    ("ML86", None),  # digits glued to a code
    ("", None),
    ("0 Diamond", None),
    ("99999999999999999999 Diamonds", None),  # beyond the column
]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[case[0] or "empty" for case in CASES])
def test_face_value_parse(name, expected):
    assert face_value_parse(name) == (None if expected is None else Decimal(expected))
