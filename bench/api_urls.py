"""The URLconf of bench_api's gunicorn: the shop's own URLs plus two baselines behind the
same API-key authentication: a no-op, and one ledger transfer (the reseller pays 1.00 to
sales, the debit at the heart of an order)."""

import uuid
from decimal import Decimal

from django.urls import path
from rest_framework.response import Response

from resellers.apis import ResellerApi
from shop.urls import urlpatterns as shop_urlpatterns
from wallets.models import TransferReason
from wallets.services import sales_wallet_for, wallet_for_user, wallet_move


class NoopApi(ResellerApi):
    def post(self, request):
        return Response({"ok": True})


class TransferApi(ResellerApi):
    def post(self, request):
        key = uuid.uuid4().hex
        transfer = wallet_move(
            source=wallet_for_user(user=request.user),
            target=sales_wallet_for(order_code=key),  # a stripe, as an order's debit
            amount=Decimal("1.00"),
            reason=TransferReason.PURCHASE,
            reference="bench",
            idempotency_key=f"bench:{key}",
        )
        return Response({"transfer": transfer.pk}, status=201)


urlpatterns = [
    path("bench/noop", NoopApi.as_view()),
    path("bench/transfer", TransferApi.as_view()),
    *shop_urlpatterns,
]
