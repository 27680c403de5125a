"""The `provider_costs` system account (what the routes that delivered orders cost) and the
`provider_cost` transfer reason; the account is created like the others (0004)."""

from django.conf import settings
from django.db import migrations, models


def create(apps, schema_editor):
    Wallet = apps.get_model("wallets", "Wallet")
    Wallet.objects.get_or_create(
        system_code="provider_costs",
        currency=settings.SHOP_CURRENCY,
        stripe=0,
        defaults={"allow_negative": True},
    )


class Migration(migrations.Migration):

    dependencies = [
        ('wallets', '0012_promotions_account'),
    ]

    operations = [
        migrations.AlterField(
            model_name='transfer',
            name='reason',
            field=models.CharField(choices=[('purchase', 'Purchase'), ('payment', 'Gateway payment'), ('refund', 'Refund'), ('deposit', 'Deposit'), ('adjustment', 'Adjustment'), ('game_settlement', 'Game settlement'), ('provider_cost', 'Provider cost')], max_length=32),
        ),
        migrations.AlterField(
            model_name='wallet',
            name='system_code',
            field=models.CharField(blank=True, choices=[('sales', 'Sales'), ('gateway_clearing', 'Payment gateway clearing'), ('game_clearing', 'Game clearing'), ('shan_house_bank', 'Shan house bank (SKP0101)'), ('adjustments', 'Manual adjustments'), ('promotions', 'Promotions'), ('provider_costs', 'Provider costs')], max_length=32, null=True),
        ),
        migrations.RunPython(create, migrations.RunPython.noop),
    ]
