"""Staff's promotions: create, pause and resume, the report of each (uses, discount given,
revenue, margin) and its CSV export. Who may create or change one is the model permissions
(the `marketing` staff group, ops.groups); the report and export need
`promotions.report_promotions`."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone

from promotions.exports import promotions_csv
from promotions.models import FlashSale, PromoCode, PromotionUse
from promotions.selectors import promotion_report
from promotions.services import promotion_pause

REPORT_PERMISSION = "promotions.report_promotions"
REPORT_FIELDS = (
    "used_or_sold",
    "report_uses",
    "report_discount",
    "report_revenue",
    "report_margin",
)


class PromotionAdmin(admin.ModelAdmin):
    """What both admins share: pause/resume/export actions, the report, who created it."""

    actions = ["pause", "resume", "export_csv"]
    list_filter = ("paused", "allowed_below_cost")
    search_fields = ("name",)
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request, obj=None):
        report = REPORT_FIELDS if request.user.has_perm(REPORT_PERMISSION) else ()
        return (*report, "created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if obj.allowed_below_cost:
            self.message_user(
                request,
                f"{obj} may sell below cost plus the minimum margin: its cost shows in the "
                "report and on the ledger's promotions account.",
                messages.WARNING,
            )

    @admin.action(description="Pause the selected promotions", permissions=["change"])
    def pause(self, request, queryset):
        for promotion in queryset:
            promotion_pause(promotion=promotion, paused=True)
        self.message_user(request, f"{queryset.count()} paused.")

    @admin.action(description="Resume the selected promotions", permissions=["change"])
    def resume(self, request, queryset):
        for promotion in queryset:
            promotion_pause(promotion=promotion, paused=False)
        self.message_user(request, f"{queryset.count()} resumed.")

    @admin.action(description="Export the report of the selected promotions (CSV)")
    def export_csv(self, request, queryset):
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        response = HttpResponse(
            promotions_csv(queryset.order_by("pk")), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = self.model._meta.model_name
        response["Content-Disposition"] = f'attachment; filename="{name}-report-{stamp}.csv"'
        return response

    def _report(self, obj):
        if obj is None or obj.pk is None:
            return None
        if not hasattr(obj, "_report_cache"):
            obj._report_cache = promotion_report(promotion=obj)
        return obj._report_cache

    @admin.display(description="Uses (held)")
    def report_uses(self, obj):
        report = self._report(obj)
        return "-" if report is None else f"{report.uses} ({report.released} given back)"

    @admin.display(description="Discount given")
    def report_discount(self, obj):
        report = self._report(obj)
        return "-" if report is None else report.discount

    @admin.display(description="Revenue (paid by buyers)")
    def report_revenue(self, obj):
        report = self._report(obj)
        return "-" if report is None else report.revenue

    @admin.display(description="Margin (revenue - cost)")
    def report_margin(self, obj):
        report = self._report(obj)
        return "-" if report is None else report.margin


@admin.register(PromoCode)
class PromoCodeAdmin(PromotionAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "value",
        "scope",
        "tiers",
        "starts_at",
        "ends_at",
        "used_or_sold",
        "paused",
    )
    list_filter = ("paused", "kind", "scope", "tiers", "allowed_below_cost")
    search_fields = ("code", "name")
    autocomplete_fields = ()
    raw_id_fields = ("item", "brand", "category")

    @admin.display(description="Used / limit")
    def used_or_sold(self, obj):
        return f"{obj.used} / {obj.total_limit if obj.total_limit is not None else '∞'}"


@admin.register(FlashSale)
class FlashSaleAdmin(PromotionAdmin):
    list_display = (
        "name",
        "item",
        "price",
        "price_reseller",
        "starts_at",
        "ends_at",
        "used_or_sold",
        "paused",
    )
    raw_id_fields = ("item",)

    @admin.display(description="Sold / stock")
    def used_or_sold(self, obj):
        return f"{obj.sold} / {obj.stock}"


@admin.register(PromotionUse)
class PromotionUseAdmin(admin.ModelAdmin):
    """The uses, read only: which order took which promotion, and whether it was given back."""

    list_display = (
        "order",
        "promo_code",
        "flash_sale",
        "list_price",
        "discount",
        "price",
        "cost",
        "claimed_at",
        "released_at",
        "release_reason",
    )
    list_filter = ("release_reason",)
    search_fields = ("order__code", "promo_code__code", "flash_sale__name")
    raw_id_fields = ("order", "promo_code", "flash_sale")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
