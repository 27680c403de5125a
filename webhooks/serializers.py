"""One serializer per callback: the shape each caller must send."""

from rest_framework import serializers

MONEY = {"max_digits": 18, "decimal_places": 2}


class ShanPlayerSerializer(serializers.Serializer):
    player_id = serializers.CharField(max_length=150)
    balance = serializers.DecimalField(min_value=0, **MONEY)


class ShanBalanceUpdateSerializer(serializers.Serializer):
    wager_code = serializers.CharField(max_length=100)
    game_type_id = serializers.IntegerField()
    players = ShanPlayerSerializer(many=True, allow_empty=False)
    banker_balance = serializers.DecimalField(**MONEY)
    agent_balance = serializers.DecimalField(required=False, **MONEY)
    timestamp = serializers.CharField(max_length=40)
    total_player_net = serializers.DecimalField(**MONEY)
    banker_amount_change = serializers.DecimalField(**MONEY)
    signature = serializers.CharField(max_length=64)

    def validate_players(self, players):
        ids = [player["player_id"] for player in players]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("A player appears twice.")
        return players


class DigiflazzTransactionSerializer(serializers.Serializer):
    """The `data` of a Digiflazz callback (the same fields as the /transaction reply)."""

    ref_id = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(["Sukses", "Pending", "Gagal"])
    rc = serializers.CharField(max_length=8, allow_blank=True, required=False)
    sn = serializers.CharField(allow_blank=True, required=False)
    message = serializers.CharField(allow_blank=True, required=False)
    customer_no = serializers.CharField(allow_blank=True, required=False)
    buyer_sku_code = serializers.CharField(allow_blank=True, required=False)
    price = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)


class DigiflazzCallbackSerializer(serializers.Serializer):
    data = DigiflazzTransactionSerializer()


class TripayCallbackSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    merchant_ref = serializers.CharField(max_length=100)
    payment_method = serializers.CharField(allow_blank=True, required=False)
    payment_method_code = serializers.CharField(allow_blank=True, required=False)
    total_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    amount_received = serializers.DecimalField(max_digits=18, decimal_places=2)
    is_closed_payment = serializers.IntegerField(required=False, min_value=0, max_value=1)
    status = serializers.ChoiceField(["PAID", "EXPIRED", "FAILED", "REFUND", "UNPAID"])
    paid_at = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(allow_blank=True, allow_null=True, required=False)


class HubbleBrandUpdatedSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    denominationType = serializers.ChoiceField(["FIXED", "FLEXIBLE"], required=False)
    status = serializers.CharField(max_length=32)
    denominations = serializers.ListField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2), required=False
    )
    amountRestrictions = serializers.DictField(required=False)


class HubbleLowBalanceSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    threshold = serializers.DecimalField(max_digits=18, decimal_places=2)


class HubbleOrderStatusSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    status = serializers.CharField(max_length=32)
