"""The promotions' report as CSV: one row per promo code or flash sale."""

import csv
import io
from collections.abc import Iterable

from promotions.models import FlashSale, PromoCode
from promotions.selectors import promotion_report

COLUMNS = [
    "kind",
    "id",
    "code",
    "name",
    "starts_at",
    "ends_at",
    "paused",
    "allowed_below_cost",
    "limit",
    "uses",
    "released",
    "discount",
    "revenue",
    "list_revenue",
    "cost",
    "margin",
]
# A cell a spreadsheet would run as a formula gets a leading quote (as ops.exports does).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def promotions_csv(promotions: Iterable[PromoCode | FlashSale]) -> str:
    """The report (`promotion_report`) of each promotion, one CSV row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for promotion in promotions:
        report = promotion_report(promotion=promotion)
        is_code = isinstance(promotion, PromoCode)
        writer.writerow(
            [
                _safe(value)
                for value in (
                    "code" if is_code else "flash_sale",
                    promotion.pk,
                    promotion.code if is_code else "",
                    promotion.name,
                    promotion.starts_at.isoformat(),
                    promotion.ends_at.isoformat(),
                    promotion.paused,
                    promotion.allowed_below_cost,
                    promotion.total_limit if is_code else promotion.stock,
                    report.uses,
                    report.released,
                    report.discount,
                    report.revenue,
                    report.list_revenue,
                    report.cost,
                    report.margin,
                )
            ]
        )
    return out.getvalue()
