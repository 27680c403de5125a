"""The callback endpoints: one WebhookView (webhooks/base.py) per URL, named by its caller's
CallbackProtocol (webhooks/callbacks/); the OpenAPI schema is declared here."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from webhooks.base import WebhookView
from webhooks.models import WebhookSource
from webhooks.processing import protocol_for
from webhooks.serializers import (
    DigiflazzCallbackSerializer,
    HubbleBrandUpdatedSerializer,
    HubbleLowBalanceSerializer,
    HubbleOrderStatusSerializer,
    ShanBalanceUpdateSerializer,
    TripayCallbackSerializer,
    VipResellerCallbackSerializer,
)

SHAN_REPLY = inline_serializer(
    "ShanReply",
    {
        "status": serializers.ChoiceField(["success", "error"]),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
    },
)


class ShanBalanceUpdateView(WebhookView):
    """POST /api/shan/client/balance-update: the Shan provider settles a round."""

    protocol = protocol_for(WebhookSource.SHAN)

    @extend_schema(
        request=ShanBalanceUpdateSerializer,
        responses={
            200: SHAN_REPLY,
            400: SHAN_REPLY,
            401: SHAN_REPLY,
            404: SHAN_REPLY,
            409: SHAN_REPLY,
            413: SHAN_REPLY,
            422: SHAN_REPLY,
            500: OpenApiResponse(SHAN_REPLY, description="Our fault; logged."),
        },
        description=(
            "Signed with HMAC-MD5 over PHP json_encode of the body (docs/providers/shan.md)."
        ),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class DigiflazzCallbackView(WebhookView):
    """POST /api/webhooks/digiflazz: a transaction reached a new state (or a ping)."""

    protocol = protocol_for(WebhookSource.DIGIFLAZZ)

    @extend_schema(request=DigiflazzCallbackSerializer, responses={200: dict, 401: dict, 422: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TripayCallbackView(WebhookView):
    """POST /api/webhooks/tripay: a payment's status (Tripay, and the sandbox gateway) for an
    order or a wallet deposit."""

    protocol = protocol_for(WebhookSource.TRIPAY)

    @extend_schema(request=TripayCallbackSerializer, responses={200: dict, 401: dict, 422: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class HubbleBrandUpdatedView(WebhookView):
    """POST /api/webhooks/hubble/brand-updated"""

    protocol = protocol_for(WebhookSource.HUBBLE_BRAND)

    @extend_schema(
        request=HubbleBrandUpdatedSerializer, responses={200: dict, 400: dict, 401: dict}
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class HubbleLowBalanceView(WebhookView):
    """POST /api/webhooks/hubble/low-balance"""

    protocol = protocol_for(WebhookSource.HUBBLE_LOW_BALANCE)

    @extend_schema(request=HubbleLowBalanceSerializer, responses={200: dict, 401: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class HubbleOrderStatusView(WebhookView):
    """POST /api/webhooks/hubble/order-status: an order reached a terminal state."""

    protocol = protocol_for(WebhookSource.HUBBLE_ORDER)

    @extend_schema(request=HubbleOrderStatusSerializer, responses={200: dict, 401: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class VipResellerCallbackView(WebhookView):
    """POST /api/webhooks/vipreseller: a transaction changed (`X-Client-Signature`); the
    transaction is then asked of VIP by its trxid before anything moves."""

    protocol = protocol_for(WebhookSource.VIPRESELLER)

    @extend_schema(
        request=VipResellerCallbackSerializer, responses={200: dict, 401: dict, 422: dict}
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
