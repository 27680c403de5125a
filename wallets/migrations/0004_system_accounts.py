"""Create the shop's system accounts, the Shan house bank (SKP0101) among them."""

from django.conf import settings
from django.db import migrations

SYSTEM_ACCOUNTS = ["sales", "gateway_clearing", "game_clearing", "shan_house_bank", "adjustments"]


def create(apps, schema_editor):
    Wallet = apps.get_model("wallets", "Wallet")
    for code in SYSTEM_ACCOUNTS:
        Wallet.objects.get_or_create(
            system_code=code, currency=settings.SHOP_CURRENCY, defaults={"allow_negative": True}
        )


class Migration(migrations.Migration):
    dependencies = [("wallets", "0003_shan_settlement")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
