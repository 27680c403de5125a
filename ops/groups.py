"""The staff groups and what each may do; used by the `staff_groups` migration and kept in
step after every migrate (new permissions reach the admin group)."""

SUPPORT = "support"
FINANCE = "finance"
ADMIN = "admin"
MARKETING = "marketing"

_VIEW = "view"
# support: orders and customers, no money actions.
SUPPORT_PERMISSIONS = [
    ("orders", "view_order"),
    ("orders", "view_orderevent"),
    ("orders", "view_voucher"),
    ("shop", "view_user"),
    ("shop", "change_user"),
    ("shop", "view_notification"),
    ("catalog", "view_product"),
    ("catalog", "view_provider"),
    # the shop's items and their routes: what a buyer asked for, and why it did not sell
    ("catalog", "view_shopitem"),
    ("catalog", "view_brandalias"),
    ("providers", "view_providercall"),
    ("webhooks", "view_webhookdelivery"),
    ("wallets", "view_wallet"),
    ("wallets", "view_deposit"),
    ("ops", "view_dashboard"),
    ("ops", "manage_orders"),
]
# finance: wallets, deposits, adjustments, refunds, reconciliation and exports.
FINANCE_PERMISSIONS = [
    ("orders", "view_order"),
    ("orders", "view_orderevent"),
    ("orders", "view_voucher"),
    ("shop", "view_user"),
    ("wallets", "view_wallet"),
    ("wallets", "view_transfer"),
    ("wallets", "view_balancemutation"),
    ("wallets", "view_deposit"),
    ("wallets", "change_deposit"),
    ("catalog", "view_provider"),
    ("catalog", "view_shopitem"),  # item prices and the routes' costs (margins)
    ("webhooks", "view_webhookdelivery"),
    ("ops", "view_reconciliationrun"),
    ("ops", "view_dashboard"),
    ("ops", "refund_orders"),
    ("ops", "adjust_wallet"),
    ("ops", "decide_deposit"),
    ("ops", "export_data"),
    ("ops", "run_reconciliation"),
]

# marketing: who may create, change and pause promotions (promo codes, flash sales), and
# see their reports. Finance sees the reports too.
PROMOTION_REPORT_PERMISSIONS = [
    ("promotions", "view_promocode"),
    ("promotions", "view_flashsale"),
    ("promotions", "view_promotionuse"),
    ("promotions", "report_promotions"),
]
MARKETING_PERMISSIONS = [
    *PROMOTION_REPORT_PERMISSIONS,
    ("promotions", "add_promocode"),
    ("promotions", "change_promocode"),
    ("promotions", "add_flashsale"),
    ("promotions", "change_flashsale"),
    ("catalog", "view_shopitem"),
    ("catalog", "view_brand"),
    ("catalog", "view_category"),
]
FINANCE_PERMISSIONS += PROMOTION_REPORT_PERMISSIONS


def sync_staff_groups(apps) -> None:
    """Create the four groups and grant their permissions (idempotent). `admin` gets every
    permission that exists."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")

    def grant(name: str, pairs) -> None:
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = permission_model.objects.none()
        for app_label, codename in pairs:
            wanted |= permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        group.permissions.add(*wanted)

    grant(SUPPORT, SUPPORT_PERMISSIONS)
    grant(FINANCE, FINANCE_PERMISSIONS)
    grant(MARKETING, MARKETING_PERMISSIONS)
    admin_group, _ = group_model.objects.get_or_create(name=ADMIN)
    admin_group.permissions.add(*permission_model.objects.all())


def staff_groups_grant_listed_permissions() -> None:
    """After a migrate: the support and finance groups (where they exist) get every
    permission listed for them that exists now, so a model added later (the shop items)
    reaches them as its migration runs; nothing is taken away (staff may have added more)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name, pairs in ((SUPPORT, SUPPORT_PERMISSIONS), (FINANCE, FINANCE_PERMISSIONS)):
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        wanted = Q(pk__in=[])
        for app_label, codename in pairs:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.filter(wanted))
