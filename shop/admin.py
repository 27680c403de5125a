from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied

from shop.admin_mixins import ReadOnlyAdmin
from shop.models import Heartbeat, SimulatedMessage, StaffAlertRoute, User

# What only superusers and the admin group change: a staff account's rights, what a buyer
# pays (role and price tier: reseller pricing is a money action), and what signs in or
# receives a password reset (username, e-mail; the password has its own page), which would
# hand over an account and its wallet.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
ACCOUNT_FIELDS = ("username", "email", "role", "price_tier")


def _manages_staff(request) -> bool:
    return request.user.is_superuser or request.user.has_perm("auth.change_group")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Support staff look after customers (names, enabling or disabling an account); only
    superusers and staff who manage groups (the admin group) grant rights, change a role,
    price tier, username, e-mail or password, or change a staff account, so nobody can
    give themselves the money actions, reseller prices or someone else's account."""

    list_display = ("username", "email", "role", "price_tier", "is_staff", "date_joined")
    list_filter = ("role", "price_tier", "is_staff", "is_active", "groups")
    date_hierarchy = "date_joined"
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Shop", {"fields": ("role", "price_tier")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Shop", {"fields": ("role", "price_tier")}))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if _manages_staff(request):
            return fields
        return [*fields, *PRIVILEGE_FIELDS, *ACCOUNT_FIELDS]

    def user_change_password(self, request, id, form_url=""):
        if not _manages_staff(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser) and not _manages_staff(request):
            return False
        return super().has_change_permission(request, obj)


# Notification's admin is in ops/admin_orders.py: it masks the order's voucher codes in a message.


@admin.register(StaffAlertRoute)
class StaffAlertRouteAdmin(admin.ModelAdmin):
    """Which staff alerts go to which Telegram chat (docs/notifications.md lists the kinds)."""

    list_display = ("kind", "chat_id", "label", "active")
    list_filter = ("kind", "active")
    list_editable = ("active",)
    search_fields = ("chat_id", "label")


@admin.register(SimulatedMessage)
class SimulatedMessageAdmin(ReadOnlyAdmin):
    """What the WhatsApp and Telegram simulators received (demo and tests only)."""

    list_display = ("received_at", "channel", "recipient", "text")
    list_filter = ("channel",)
    search_fields = ("recipient", "external_id")
    date_hierarchy = "received_at"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """Written by the beat only: an edited heartbeat would fake /healthz."""

    list_display = ("name", "run_id", "started_at", "stopped_at", "beat_at")
    search_fields = ("name", "run_id")


def _view_only(axes_admin: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """django-axes' admin with its Save buttons gone: every field of its records is read-only.
    Deleting (clearing a lockout) stays allowed."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    return type(
        axes_admin.__name__, (axes_admin,), {"has_change_permission": has_change_permission}
    )


# importing axes.admin registers its admins first, whatever the order of INSTALLED_APPS
for _model, _axes_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _view_only(_axes_admin))
