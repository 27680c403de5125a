"""A deposit refunded at the gateway is marked by a field, no longer by a sentence in its note:
the field is added and set for the deposits whose note carries that sentence."""

from django.db import migrations, models
from django.db.models import F

# The sentence the shop appended to the note until this migration (wallets/services/deposits.py).
GATEWAY_REFUND_NOTE = "Refunded at the gateway after it was credited: check it."


def backfill_refunded_at_gateway_at(apps, schema_editor):
    """The note's last change is the best time known for the refund."""
    Deposit = apps.get_model("wallets", "Deposit")
    Deposit.objects.filter(note__contains=GATEWAY_REFUND_NOTE).update(
        refunded_at_gateway_at=F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("wallets", "0007_deposit_proof_checked_by_content"),
    ]

    operations = [
        migrations.AddField(
            model_name="deposit",
            name="refunded_at_gateway_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_refunded_at_gateway_at, migrations.RunPython.noop),
    ]
