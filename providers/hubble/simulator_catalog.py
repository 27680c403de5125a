"""The Hubble simulator's demo brands: eight brands, FIXED and FLEXIBLE, one INACTIVE."""

from copy import deepcopy


def _brand(
    brand_id: str,
    title: str,
    category: str,
    *,
    denominations: list[int] | None = None,
    amount_range: tuple[int, int] | None = None,
    discount: float,
    status: str = "ACTIVE",
) -> dict:
    flexible = amount_range is not None
    low, high = amount_range or (min(denominations), max(denominations))
    return {
        "id": brand_id,
        "status": status,
        "title": title,
        "brandDescription": f"{title} gift card, delivered by e-mail in minutes.",
        "category": [category],
        "tags": [category.lower(), "gift-card"],
        "denominationType": "FLEXIBLE" if flexible else "FIXED",
        "cardType": "CARD_NUMBER_AND_PIN",  # (inferred) Hubble does not list the values
        "redemptionType": "ONLINE",  # (inferred)
        "amountRestrictions": {
            "minOrderAmount": low,
            "maxOrderAmount": high,
            "minVoucherAmount": low,
            "maxVoucherAmount": high,
            "maxVouchersPerOrder": 5,
            "maxVouchersPerDenomination": 5,
            "maxDenominationsPerOrder": 3,
            "denominations": [] if flexible else denominations,
        },
        # Served by the simulator itself (no internet here): a generated SVG badge.
        "iconImageUrl": f"/sim/hubble/images/{brand_id}.svg",
        "thumbnailUrl": f"/sim/hubble/images/{brand_id}.svg",
        "logoUrl": f"/sim/hubble/images/{brand_id}.svg",
        "tncUrl": f"https://example.invalid/hubble/{brand_id}/tnc",
        "termsAndConditions": ["Valid for 12 months.", "Cannot be exchanged for cash."],
        "usageInstructions": f"Redeem at checkout on {title}.",
        "discountPercentage": discount,
    }


BRANDS: list[dict] = [
    _brand(
        "amazon-pay", "Amazon Pay", "Shopping", denominations=[100, 500, 1000, 2000], discount=2.5
    ),
    _brand("flipkart", "Flipkart", "Shopping", denominations=[250, 500, 1000, 5000], discount=3),
    _brand("swiggy", "Swiggy", "Food", denominations=[100, 250, 500], discount=4),
    _brand("myntra", "Myntra", "Fashion", amount_range=(500, 10000), discount=5),
    _brand(
        "google-play",
        "Google Play",
        "Entertainment",
        denominations=[100, 300, 500, 1500],
        discount=1.5,
    ),
    _brand("steam", "Steam", "Gaming", amount_range=(100, 10000), discount=2),
    _brand("zomato", "Zomato", "Food", denominations=[200, 500, 1000], discount=4.5),
    _brand(
        "bookmyshow",
        "BookMyShow",
        "Entertainment",
        denominations=[250, 500],
        discount=6,
        status="INACTIVE",
    ),
]


def all_brands() -> list[dict]:
    """A copy of the demo brands (callers may change theirs freely)."""
    return deepcopy(BRANDS)


def brand_by_id(brand_id: str) -> dict | None:
    return next((deepcopy(brand) for brand in BRANDS if brand["id"] == brand_id), None)
