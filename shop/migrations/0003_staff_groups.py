"""Staff groups: support (orders, customers, no money actions), finance (wallets, deposits,
adjustments, refunds), admin (every permission)."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from ops.groups import sync_staff_groups

    sync_staff_groups(apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["support", "finance", "admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_notification"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ops", "0001_reveals_and_reconciliation"),
        ("orders", "0003_order_poll_claim"),
        ("wallets", "0004_system_accounts"),
        ("catalog", "0003_syncrun_unchanged_and_errors"),
        ("providers", "0001_provider_calls_and_simulator_state"),
        ("webhooks", "0001_webhook_deliveries"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
