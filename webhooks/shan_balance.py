"""POST /api/shan/balance: the Shan provider asks for its players' balances (the seed's
legacy balance query, in the `batch_requests` shape of the provider's own `getbalance`).

Request: `{"batch_requests": [{"member_account", "product_code"}], "operator_code",
"currency"}`. Reply: `{"status": "Request was successful.", "message": "Balance retrieved
successfully", "data": [{"member_account", "product_code", "balance", "code", "message"}]}`,
one entry per request, each with the provider's code: 0 success, 1000 member does not exist,
2001 invalid currency, 2002 invalid member account. `X-Transaction-Key` must match
`SHAN_TRANSACTION_KEY` (else HTTP 401, each member 1002 proxy key error); without that key
the query is refused (HTTP 503), except with the simulators on.

It never creates a wallet; its one write records the balances it told
(`ShanPlayerBalance`), which the next settlement moves the wallets from.

It is its own view, not a CallbackProtocol: it is a query answered at once, not a callback
that reports a change, so nothing is stored as a WebhookDelivery and there is nothing to
re-apply (`delivery_process` is for stored callbacks only). It shares the body cap and the
chunked-body rule (`read_callback_body`) with the callbacks.
"""

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.shan.signature import php_json_encode
from shan.balance_query import (
    PROXY_KEY_ERROR,
    BadBalanceQuery,
    shan_balance_entry,
    shan_balance_query_parse,
    shan_member_balances,
)
from webhooks.body import read_callback_body

logger = logging.getLogger(__name__)


def _reply(status: int, body: dict) -> HttpResponse:
    # Balances as exact decimal numbers (never through float).
    return HttpResponse(php_json_encode(body), status=status, content_type="application/json")


def _error(status: int, message: str) -> HttpResponse:
    return _reply(status, {"status": "error", "message": message, "data": []})


@csrf_exempt
@require_POST
def shan_balance_view(request: HttpRequest) -> HttpResponse:
    body = read_callback_body(request, cap=settings.WEBHOOK_MAX_BODY_BYTES)
    if body.refusal is not None:
        status, _code, message = body.refusal
        return _error(status, message)
    raw = body.raw
    expected_key = settings.SHAN_TRANSACTION_KEY
    if not expected_key and not settings.SIMULATORS_ENABLED:
        # Balances are private: without a key to check, nobody may read them.
        return _error(503, "The balance query is not configured (SHAN_TRANSACTION_KEY).")
    given_key = request.headers.get("X-Transaction-Key", "")
    if expected_key and not hmac.compare_digest(given_key.encode(), expected_key.encode()):
        logger.warning("Shan balance query with a wrong X-Transaction-Key")
        try:
            batch, _ = shan_balance_query_parse(raw)
        except BadBalanceQuery:
            batch = []
        return _reply(
            401,
            {
                "status": "error",
                "message": "Invalid X-Transaction-Key.",
                "data": [shan_balance_entry(item, PROXY_KEY_ERROR, None) for item in batch],
            },
        )
    try:
        batch, currency = shan_balance_query_parse(raw)
    except BadBalanceQuery as exc:
        return _error(400, f"Invalid request data: {exc}")
    return _reply(
        200,
        {
            "status": "Request was successful.",
            "message": "Balance retrieved successfully",
            "data": shan_member_balances(batch=batch, currency=currency),
        },
    )
