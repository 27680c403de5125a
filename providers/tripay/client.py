"""The only code that speaks HTTP to Tripay (through ProviderHttp: timeouts, X-REQUEST-ID,
call log). Replies come back as the parsed body; errors are raised as the shop's errors:

- HTTP 5xx, 408, 429, timeouts, connection errors, a body that is not JSON
  → TransientProviderError (try later; a create may or may not exist);
- `{"success": false, "message": ...}` (any other status) → FinalProviderError(message).
"""

from providers.base import FinalProviderError, TransientProviderError
from providers.http import HttpReply, ProviderHttp

CODE = "tripay"
PRODUCTION_BASE_URL = "https://tripay.co.id/api"
SANDBOX_BASE_URL = "https://tripay.co.id/api-sandbox"
TRANSIENT_STATUSES = frozenset({408, 429})


class TripayClient:
    def __init__(self, *, base_url: str, api_key: str, http: ProviderHttp | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http or ProviderHttp(CODE)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def payment_channels(self) -> dict:
        """`GET /merchant/payment-channel`: the channels active for this merchant (a read,
        retried on transient errors)."""
        reply = self.http.request(
            "GET",
            f"{self.base_url}/merchant/payment-channel",
            endpoint="merchant/payment-channel",
            headers=self._headers(),
            safe_to_retry=True,
        )
        return _body(reply)

    def create_transaction(self, payload: dict, *, reference: str) -> dict:
        """`POST /transaction/create`, sent once: Tripay documents no idempotency on
        merchant_ref (it accepts the same merchant_ref twice), so a retry could bill the
        buyer twice."""
        reply = self.http.request(
            "POST",
            f"{self.base_url}/transaction/create",
            endpoint="transaction/create",
            json_body=payload,
            headers=self._headers(),
            safe_to_retry=False,
            reference=reference,
        )
        return _body(reply)

    def transaction_detail(self, reference: str) -> dict:
        """`GET /transaction/detail?reference=<Tripay reference>`: one transaction with its
        current status (a read, retried on transient errors)."""
        reply = self.http.request(
            "GET",
            f"{self.base_url}/transaction/detail",
            endpoint="transaction/detail",
            params={"reference": reference},
            headers=self._headers(),
            safe_to_retry=True,
            reference=reference,
        )
        return _body(reply)


def _body(reply: HttpReply) -> dict:
    if reply.status >= 500 or reply.status in TRANSIENT_STATUSES:
        raise TransientProviderError(
            f"Tripay answered HTTP {reply.status}", code=f"http_{reply.status}"
        )
    body = reply.json()
    if not isinstance(body, dict):
        raise TransientProviderError("Tripay sent a reply that is not an object", code="malformed")
    if body.get("success") is not True:
        message = str(body.get("message") or f"Tripay refused the request (HTTP {reply.status})")
        raise FinalProviderError(message, code=f"http_{reply.status}", raw=body)
    return body
