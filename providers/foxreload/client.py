"""The only code that speaks HTTP to FoxReload's public API (docs/providers/foxreload.md).

Every request carries `X-API-Key` and goes through `ProviderHttp` (timeouts, `X-REQUEST-ID`,
call log). Reads are retried with exponential back-off on 429, 5xx and network errors
(`safe_to_retry=True`); order writes (create, pay) are sent exactly once, because FoxReload
has no idempotency key that would make a repeat harmless.
"""

from providers.http import HttpReply, ProviderHttp

PRODUCTION_BASE_URL = "https://public-api.foxreload.com"
# Page sizes: the public client code we found caps `limit` at 200 (not in the seed).
CATEGORY_PAGE_SIZE = 100
PRODUCT_PAGE_SIZE = 100


class FoxReloadClient:
    """Builds FoxReload's requests and returns the raw replies; interpreting them is the
    adapter's job. Transport failures raise TransientProviderError (from ProviderHttp)."""

    def __init__(self, *, base_url: str, api_key: str, http: ProviderHttp | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = http or ProviderHttp("foxreload")

    def _headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def _get(self, path: str, *, endpoint: str, params=None, reference: str = "") -> HttpReply:
        return self.http.request(
            "GET",
            f"{self.base_url}{path}",
            endpoint=endpoint,
            params=params,
            headers=self._headers(),
            safe_to_retry=True,
            reference=reference,
        )

    def _post(self, path: str, body: dict, *, endpoint: str, reference: str) -> HttpReply:
        return self.http.request(
            "POST",
            f"{self.base_url}{path}",
            endpoint=endpoint,
            json_body=body,
            headers=self._headers(),
            reference=reference,
        )

    def categories(self, *, cursor: str | None = None) -> HttpReply:
        """`GET /api/categories/`: one page (cursor pagination: `nextCursor`, inferred)."""
        params: dict = {"limit": CATEGORY_PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        return self._get("/api/categories/", endpoint="categories", params=params)

    def products(self, *, category_id_or_slug: str, offset: int = 0) -> HttpReply:
        """`GET /api/products/?category_id_or_slug=...`: one page (limit/offset, inferred)."""
        params = {
            "category_id_or_slug": category_id_or_slug,
            "limit": PRODUCT_PAGE_SIZE,
            "offset": offset,
        }
        return self._get("/api/products/", endpoint="products", params=params)

    def create_order(
        self,
        *,
        item_id: str,
        note: dict[str, str],
        is_mock: bool,
        reference: str,
        quantity: int = 1,
    ) -> HttpReply:
        """`POST /api/orders/` with one item and its `note` (the account fields, e.g.
        {"player_id": ...}); 201 carries the order `id` (a UUID)."""
        body = {
            "items": [{"itemId": item_id, "quantity": quantity, "note": note}],
            "isMock": is_mock,
        }
        return self._post("/api/orders/", body, endpoint="orders.create", reference=reference)

    def pay_order(
        self, order_id: str, *, payment_provider: str, return_url: str, reference: str
    ) -> HttpReply:
        """`POST /api/orders/{id}/pay`: draws the account balance (this is what charges)."""
        body = {"paymentProvider": payment_provider, "paymentReturnUrl": return_url}
        return self._post(
            f"/api/orders/{order_id}/pay", body, endpoint="orders.pay", reference=reference
        )

    def get_order(self, order_id: str, *, reference: str = "") -> HttpReply:
        """`GET /api/orders/{id}`: the order with its status, codes and errors."""
        return self._get(f"/api/orders/{order_id}", endpoint="orders.get", reference=reference)
