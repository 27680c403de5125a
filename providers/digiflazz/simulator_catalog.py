"""The Digiflazz simulator's prepaid price list: ~25 realistic demo products, or any number
of generated ones (deterministic and fast: 50,000 in well under a second) for benchmarks."""

TEST_SKU = "xld10"  # Digiflazz's documented testing SKU
MAX_GENERATED = 500_000


def _product(sku, name, category, brand, price, desc, *, active=True) -> dict:
    return {
        "product_name": name,
        "category": category,
        "brand": brand,
        "type": "Umum",
        "seller_name": "SIMULATOR",
        "price": price,
        "buyer_sku_code": sku,
        "buyer_product_status": True,
        "seller_product_status": active,
        "unlimited_stock": False,
        "stock": 9_999_999,
        "multi": True,
        "start_cut_off": "00:00",
        "end_cut_off": "00:00",
        "desc": desc,
    }


_ML = "Masukkan User ID & Zone ID digabung, contoh 12345678 (1234) = 123456781234\nProses 1-3 menit"
_FF = "Masukkan Player ID\nProses 1-3 menit"
_PHONE = "Masukkan nomor HP 08xxxxxxxxxx"
_PLN = "Masukkan nomor meter 11 digit\nToken dikirim sebagai SN"
DEMO_PRODUCTS: list[dict] = [
    _product("ML5", "MOBILE LEGENDS 5 Diamond", "Games", "MOBILE LEGENDS", 1_423, _ML),
    _product("ML86", "MOBILE LEGENDS 86 Diamond", "Games", "MOBILE LEGENDS", 19_850, _ML),
    _product("ML172", "MOBILE LEGENDS 172 Diamond", "Games", "MOBILE LEGENDS", 39_700, _ML),
    _product("ML257", "MOBILE LEGENDS 257 Diamond", "Games", "MOBILE LEGENDS", 58_950, _ML),
    _product("FF5", "Free Fire 5 Diamond", "Games", "FREE FIRE", 860, _FF),
    _product("FF70", "Free Fire 70 Diamond", "Games", "FREE FIRE", 9_120, _FF),
    _product("FF140", "Free Fire 140 Diamond", "Games", "FREE FIRE", 18_200, _FF),
    _product("FF355", "Free Fire 355 Diamond", "Games", "FREE FIRE", 45_500, _FF),
    _product("TSEL5", "Telkomsel 5.000", "Pulsa", "TELKOMSEL", 5_325, _PHONE),
    _product("TSEL10", "Telkomsel 10.000", "Pulsa", "TELKOMSEL", 10_250, _PHONE),
    _product("TSEL25", "Telkomsel 25.000", "Pulsa", "TELKOMSEL", 24_900, _PHONE),
    _product("XL10", "XL 10.000", "Pulsa", "XL", 10_120, _PHONE),
    _product("XL25", "XL 25.000", "Pulsa", "XL", 24_850, _PHONE),
    _product("ISAT5", "Indosat 5.000", "Pulsa", "INDOSAT", 5_600, _PHONE, active=False),
    _product("ISAT10", "Indosat 10.000", "Pulsa", "INDOSAT", 10_550, _PHONE),
    _product("XLD1", "XL Data 1GB 7 Hari", "Data", "XL", 11_400, _PHONE),
    _product("XLXC10", "XL Xtra Combo 10GB 30 Hari", "Data", "XL", 58_000, _PHONE),
    _product(TEST_SKU, "XL Data 10.000 (testing)", "Data", "XL", 10_000, "SKU uji coba"),
    _product("DANA10", "DANA 10.000", "E-Money", "DANA", 10_120, _PHONE),
    _product("DANA25", "DANA 25.000", "E-Money", "DANA", 25_120, _PHONE),
    _product("OVO20", "OVO 20.000", "E-Money", "OVO", 20_150, _PHONE),
    _product("GOPAY20", "GO PAY 20.000", "E-Money", "GO PAY", 20_200, _PHONE),
    _product("GOPAY50", "GO PAY 50.000", "E-Money", "GO PAY", 50_200, _PHONE),
    _product("PLN20", "PLN 20.000", "PLN", "PLN", 20_150, _PLN),
    _product("PLN50", "PLN 50.000", "PLN", "PLN", 50_150, _PLN),
    _product("PLN100", "PLN 100.000", "PLN", "PLN", 100_150, _PLN),
]
DEMO_BY_SKU = {item["buyer_sku_code"]: item for item in DEMO_PRODUCTS}

GENERATED_LINES = [
    ("Games", "MOBILE LEGENDS", "Diamond", _ML),
    ("Games", "FREE FIRE", "Diamond", _FF),
    ("Pulsa", "TELKOMSEL", "Pulsa", _PHONE),
    ("Data", "XL", "Data", _PHONE),
    ("E-Money", "DANA", "Saldo", _PHONE),
    ("PLN", "PLN", "Token", _PLN),
]
GENERATED_PREFIX = "GEN"


def _changed(index: int, seed: int, percent: int) -> bool:
    # 37 is coprime with 100: every 100 consecutive items hold exactly `percent` changes.
    return (index * 37 + seed * 11) % 100 < percent


def generated_item(index: int, *, seed: int = 0, changed: int = 0) -> dict:
    """Generated price-list item `index`: the same for the same (index, seed, changed)."""
    category, brand, unit, desc = GENERATED_LINES[index % len(GENERATED_LINES)]
    nominal = 5_000 * (1 + (index * 7 + seed) % 40)
    price = nominal + 100 + (index * 31 + seed * 17) % 50 * 10
    if _changed(index, seed, changed):
        price += 250
    sku = f"{GENERATED_PREFIX}{index:06d}"
    name = f"{brand} {unit} {nominal:,} #{index}".replace(",", ".")
    return _product(sku, name, category, brand, price, desc)


def price_list(*, size: int | None, seed: int, changed: int) -> list[dict]:
    """The demo list, or `size` generated items; `changed` percent of prices raised."""
    if size is None:
        return [
            {**item, "price": item["price"] + 250} if _changed(i, seed, changed) else item
            for i, item in enumerate(DEMO_PRODUCTS)
        ]
    return [generated_item(i, seed=seed, changed=changed) for i in range(size)]


def product_for_sku(sku: str) -> dict | None:
    """The price-list item a /transaction names (demo or generated), or None."""
    if sku in DEMO_BY_SKU:
        return DEMO_BY_SKU[sku]
    digits = sku.removeprefix(GENERATED_PREFIX)
    if sku.startswith(GENERATED_PREFIX) and digits.isdigit() and int(digits) < MAX_GENERATED:
        return generated_item(int(digits))
    return None
