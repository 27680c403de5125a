"""The `promotions` system account: what promo codes and flash sales cost (an order's
discount is paid from it, so `sales` books the list price). Created here like the others
(0004_system_accounts)."""

from django.conf import settings
from django.db import migrations, models


def create(apps, schema_editor):
    Wallet = apps.get_model("wallets", "Wallet")
    Wallet.objects.get_or_create(
        system_code="promotions",
        currency=settings.SHOP_CURRENCY,
        stripe=0,
        defaults={"allow_negative": True},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0011_transfer_created_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="wallet",
            name="system_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("sales", "Sales"),
                    ("gateway_clearing", "Payment gateway clearing"),
                    ("game_clearing", "Game clearing"),
                    ("shan_house_bank", "Shan house bank (SKP0101)"),
                    ("adjustments", "Manual adjustments"),
                    ("promotions", "Promotions"),
                ],
                max_length=32,
                null=True,
            ),
        ),
        migrations.RunPython(create, migrations.RunPython.noop),
    ]
