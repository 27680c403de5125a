"""ShanPlayerBalance and ShanSettlement now belong to the shan app (its 0001): removed from
wallets' state only; the tables stay, under their old names, owned by shan."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0008_deposit_refunded_at_gateway_at"),
        ("shan", "0001_models_from_wallets"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ShanPlayerBalance"),
                migrations.DeleteModel(name="ShanSettlement"),
            ],
            database_operations=[],
        ),
    ]
