"""ShanPlayerBalance and ShanSettlement move here from wallets: state only, the tables keep
their names (`wallets_shanplayerbalance`, `wallets_shansettlement`), so no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("wallets", "0008_deposit_refunded_at_gateway_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ShanPlayerBalance",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("balance", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "wallets_shanplayerbalance"},
                ),
                migrations.CreateModel(
                    name="ShanSettlement",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("wager_code", models.CharField(max_length=100, unique=True)),
                        ("fingerprint", models.CharField(max_length=64)),
                        ("game_type_id", models.IntegerField(blank=True, null=True)),
                        ("banker_balance", models.DecimalField(blank=True, decimal_places=2, max_digits=18, null=True)),
                        ("provider_timestamp", models.CharField(blank=True, max_length=40)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("transfer", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="wallets.transfer")),
                    ],
                    options={"db_table": "wallets_shansettlement", "ordering": ["-created_at"]},
                ),
            ],
            database_operations=[],
        ),
    ]
