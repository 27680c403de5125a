"""One serializer per callback: the shape each caller must send."""

from decimal import Decimal

from rest_framework import serializers

MONEY = {"max_digits": 18, "decimal_places": 2}
# A balance or amount any caller may report: far above any real one, and small enough that
# the sums the ledger makes of them still fit its numeric(18, 2) columns.
MAX_REPORTED_AMOUNT = Decimal("1000000000000")
INT32_MAX = 2**31 - 1


class ShanPlayerSerializer(serializers.Serializer):
    player_id = serializers.CharField(max_length=150)
    balance = serializers.DecimalField(min_value=0, max_value=MAX_REPORTED_AMOUNT, **MONEY)


class ShanBalanceUpdateSerializer(serializers.Serializer):
    wager_code = serializers.CharField(max_length=100)
    game_type_id = serializers.IntegerField(min_value=0, max_value=INT32_MAX)
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
    sn = serializers.CharField(max_length=255, allow_blank=True, required=False)
    trx_id = serializers.CharField(max_length=100, allow_blank=True, required=False)
    message = serializers.CharField(allow_blank=True, required=False)
    customer_no = serializers.CharField(allow_blank=True, required=False)
    buyer_sku_code = serializers.CharField(allow_blank=True, required=False)
    price = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)


class DigiflazzCallbackSerializer(serializers.Serializer):
    data = DigiflazzTransactionSerializer()


class VipResellerTransactionSerializer(serializers.Serializer):
    """What a VIP Reseller callback names (a status item's fields; only `trxid` is used: the
    transaction itself is then asked of VIP)."""

    trxid = serializers.CharField(max_length=100)
    status = serializers.CharField(max_length=32, allow_blank=True, required=False)
    data = serializers.CharField(max_length=200, allow_blank=True, required=False)
    zone = serializers.CharField(max_length=100, allow_blank=True, required=False)
    service = serializers.CharField(max_length=200, allow_blank=True, required=False)
    note = serializers.CharField(allow_blank=True, allow_null=True, required=False)


class VipResellerCallbackSerializer(serializers.Serializer):
    data = VipResellerTransactionSerializer()


class TripayCallbackSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)
    merchant_ref = serializers.CharField(max_length=100)
    payment_method = serializers.CharField(allow_blank=True, required=False)
    payment_method_code = serializers.CharField(allow_blank=True, required=False)
    total_amount = serializers.DecimalField(min_value=0, max_value=MAX_REPORTED_AMOUNT, **MONEY)
    amount_received = serializers.DecimalField(min_value=0, max_value=MAX_REPORTED_AMOUNT, **MONEY)
    is_closed_payment = serializers.IntegerField(required=False, min_value=0, max_value=1)
    status = serializers.ChoiceField(["PAID", "EXPIRED", "FAILED", "REFUND", "UNPAID"])
    paid_at = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2**32
    )
    note = serializers.CharField(allow_blank=True, allow_null=True, required=False)


class HubbleAmountRestrictionsSerializer(serializers.Serializer):
    """The amounts a brand update may carry; every one finite and in range."""

    minOrderAmount = serializers.DecimalField(
        min_value=0, max_value=MAX_REPORTED_AMOUNT, required=False, allow_null=True, **MONEY
    )
    maxOrderAmount = serializers.DecimalField(
        min_value=0, max_value=MAX_REPORTED_AMOUNT, required=False, allow_null=True, **MONEY
    )
    minVoucherAmount = serializers.DecimalField(
        min_value=0, max_value=MAX_REPORTED_AMOUNT, required=False, allow_null=True, **MONEY
    )
    maxVoucherAmount = serializers.DecimalField(
        min_value=0, max_value=MAX_REPORTED_AMOUNT, required=False, allow_null=True, **MONEY
    )

    def validate(self, attrs):
        low, high = attrs.get("minVoucherAmount"), attrs.get("maxVoucherAmount")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError("minVoucherAmount is above maxVoucherAmount.")
        return attrs


class HubbleBrandUpdatedSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    denominationType = serializers.ChoiceField(["FIXED", "FLEXIBLE"], required=False)
    status = serializers.CharField(max_length=32)
    denominations = serializers.ListField(
        child=serializers.DecimalField(min_value=0, max_value=MAX_REPORTED_AMOUNT, **MONEY),
        required=False,
    )
    amountRestrictions = HubbleAmountRestrictionsSerializer(required=False)


class HubbleLowBalanceSerializer(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    threshold = serializers.DecimalField(max_digits=18, decimal_places=2)


class HubbleOrderStatusSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=100)
    status = serializers.CharField(max_length=32)
