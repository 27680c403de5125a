from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from catalog.admin import reprice_after_commit
from catalog.models import Provider, ProviderKind, SyncRun
from ops.services import ops_provider_check_balance, ops_provider_sync_catalog
from providers.models import CircuitChange, ProviderCall, ProviderCircuit, SimulatedOrder
from providers.services import provider_resume_selling
from shop.admin_mixins import ReadOnlyAdmin, ops_allowed
from shop.errors import ApplicationError


# The Provider model is catalog's; its admin is here: its actions are the providers' (a
# sync of the price list, a balance check, selling again after a top-up).
@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "kind",
        "enabled",
        "currency",
        "exchange_rate",
        "low_balance_threshold",
        "last_balance",
        "last_balance_at",
        "last_sync",
    )
    list_editable = ("enabled",)
    list_filter = ("kind", "enabled", "currency")
    search_fields = ("name", "code")
    date_hierarchy = "last_balance_at"
    readonly_fields = ("last_balance", "last_balance_at", "out_of_balance_since", "last_sync")
    actions = ("sync_catalog_now", "check_balance_now", "resume_selling")

    @admin.display(description="Last catalog sync")
    def last_sync(self, provider: Provider):
        run = SyncRun.objects.filter(provider=provider).order_by("-started_at", "-pk").first()
        if run is None:
            return "-"
        if run.status == SyncRun.Status.SUCCESS:
            counts = (
                f"created {run.created}, updated {run.updated}, "
                f"deactivated {run.deactivated}, hidden {run.hidden}"
            )
        else:
            counts = next(iter(run.message.splitlines()), "")
        return format_html(
            "<a href='{}'>{} {}</a> {}",
            reverse("admin:catalog_syncrun_change", args=[run.pk]),
            run.status,
            f"{run.started_at:%Y-%m-%d %H:%M}",
            counts,
        )

    def has_operate_providers_permission(self, request) -> bool:
        return ops_allowed(request, "operate_providers")

    @admin.action(description="Sync catalog now (queued)", permissions=["operate_providers"])
    def sync_catalog_now(self, request, queryset) -> None:
        upstream = queryset.filter(kind=ProviderKind.UPSTREAM).order_by("pk")
        for provider in upstream:
            ops_provider_sync_catalog(provider_id=provider.pk)
        self.message_user(
            request,
            f"Queued {upstream.count()} catalog sync(s); the Last catalog sync column shows "
            "each SyncRun when it is done.",
        )

    @admin.action(description="Check balance now", permissions=["operate_providers"])
    def check_balance_now(self, request, queryset) -> None:
        for provider in queryset.filter(kind=ProviderKind.UPSTREAM).order_by("pk"):
            try:
                provider = ops_provider_check_balance(code=provider.code)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"{provider.name}: {provider.last_balance} {provider.currency}."
                )

    @admin.action(
        description="Resume selling (the provider's balance was topped up)",
        permissions=["operate_providers"],
    )
    def resume_selling(self, request, queryset) -> None:
        resumed = [
            provider_resume_selling(code=provider.code, actor=request.user)
            for provider in queryset.filter(out_of_balance_since__isnull=False).order_by("pk")
        ]
        self.message_user(request, f"{len(resumed)} provider(s) sell again.")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and {"enabled", "exchange_rate"} & set(form.changed_data):
            reprice_after_commit(request, reason=f"provider {obj.code} changed", provider=obj)


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "provider",
        "method",
        "endpoint",
        "http_status",
        "outcome",
        "provider_fault",
        "latency_ms",
        "reference",
    )
    list_filter = ("provider", "outcome", "provider_fault", "endpoint")
    search_fields = ("request_id", "reference", "url", "error")
    date_hierarchy = "created_at"


@admin.register(ProviderCircuit)
class ProviderCircuitAdmin(ReadOnlyAdmin):
    """Circuit states (providers/health.py); staff force them from the ops dashboard."""

    list_display = (
        "provider",
        "state",
        "state_since",
        "consecutive_failures",
        "forced_open",
        "error_rate_alerted",
    )
    list_filter = ("state", "forced_open", "error_rate_alerted")
    search_fields = ("provider",)
    date_hierarchy = "state_since"


@admin.register(CircuitChange)
class CircuitChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "provider", "from_state", "to_state", "actor", "reason")
    list_filter = ("provider", "to_state")
    search_fields = ("provider", "reason")
    date_hierarchy = "created_at"


@admin.register(SimulatedOrder)
class SimulatedOrderAdmin(ReadOnlyAdmin):
    list_display = ("provider", "reference", "external_id", "status", "resolve_at", "created_at")
    list_filter = ("provider", "status")
    search_fields = ("reference", "external_id")
    date_hierarchy = "created_at"
