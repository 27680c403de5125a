"""The only code that speaks HTTP to Hubble: login, bearer token, one re-login on a 401.

Methods return the `HttpReply` of any HTTP status (the adapter decides what it means) and
raise TransientProviderError when no reply came. Login failures raise HubbleAuthError.
"""

from urllib.parse import quote

from providers.base import FinalProviderError, TransientProviderError
from providers.http import HttpReply, ProviderHttp
from providers.hubble.auth import HubbleTokenCache, IssuedToken
from providers.hubble.errors import error_from_reply

CODE = "hubble"
PREFIX = "/v1/partners"
# Hubble-specific keys kept out of the call log (on top of providers.http.ALWAYS_REDACTED).
REDACT_KEYS = ("clientSecret",)
# Brands per page. (inferred, docs/providers/hubble.md) `limit`/`cursor` → `{data, nextCursor}`
# is the pagination shape no public source confirms; change it here and in
# adapter._brand_pages.
PAGE_LIMIT = 100


class HubbleAuthError(FinalProviderError):
    """Hubble refused our credentials (400/401/403 on login, or 401 right after a login)."""


class HubbleClient:
    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        http: ProviderHttp | None = None,
        tokens: HubbleTokenCache | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http or ProviderHttp(CODE, redact_keys=REDACT_KEYS)
        connect_seconds, read_seconds = self.http.timeout
        self.tokens = tokens or HubbleTokenCache(
            base_url=self.base_url,
            client_id=client_id,
            login=self.login,
            lock_seconds=self.http.max_attempts * (connect_seconds + read_seconds) + 2,
        )

    # --- auth -------------------------------------------------------------------------
    def login(self) -> IssuedToken:
        """`POST /auth/login`: a new token; HubbleAuthError when the credentials are refused."""
        reply = self.http.request(
            "POST",
            self._url("/auth/login"),
            endpoint="auth/login",
            json_body={"clientId": self.client_id, "clientSecret": self.client_secret},
            safe_to_retry=True,  # a login creates nothing
        )
        if reply.status in (400, 401, 403):
            error = error_from_reply(reply)
            raise HubbleAuthError(
                f"Hubble login refused (HTTP {reply.status}): {error.describe()}",
                code=error.id or f"http_{reply.status}",
            )
        if not reply.ok:
            raise TransientProviderError(
                f"Hubble login failed with HTTP {reply.status}", code=f"http_{reply.status}"
            )
        body = reply.json()
        if not isinstance(body, dict) or not body.get("token"):
            raise TransientProviderError("Hubble login reply has no token", code="bad_login")
        return IssuedToken(
            token=str(body["token"]), expires_in_seconds=float(body.get("expiresInSecs") or 0)
        )

    # --- endpoints --------------------------------------------------------------------
    def list_products(self, *, cursor: str | None = None, limit: int = PAGE_LIMIT) -> HttpReply:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return self._call("GET", "/products", endpoint="products", params=params, safe=True)

    def create_order(self, body: dict, *, reference: str) -> HttpReply:
        # Not retried by the HTTP layer: after a timeout the adapter looks up by reference.
        return self._call(
            "POST", "/orders", endpoint="orders/create", json_body=body, reference=reference
        )

    def get_order(self, order_id: str, *, reference: str = "") -> HttpReply:
        path = f"/orders/{quote(order_id, safe='')}"
        return self._call("GET", path, endpoint="orders/get", reference=reference, safe=True)

    def get_order_by_reference(self, reference: str) -> HttpReply:
        path = f"/orders/by-reference/{quote(reference, safe='')}"
        return self._call(
            "GET", path, endpoint="orders/by-reference", reference=reference, safe=True
        )

    def wallet_balance(self) -> HttpReply:
        return self._call("GET", "/wallet/balance", endpoint="wallet/balance", safe=True)

    # --- plumbing ---------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return f"{self.base_url}{PREFIX}{path}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: dict | None = None,
        json_body: dict | None = None,
        reference: str = "",
        safe: bool = False,
    ) -> HttpReply:
        """One authorised call; on a 401 the token is dropped, we log in again once and
        repeat the call once (a 401 means Hubble did not act on it)."""
        reply = None
        for _attempt in range(2):
            token = self.tokens.get()
            reply = self.http.request(
                method,
                self._url(path),
                endpoint=endpoint,
                params=params,
                json_body=json_body,
                headers={"Authorization": f"Bearer {token}"},
                safe_to_retry=safe,
                reference=reference,
            )
            if reply.status != 401:
                return reply
            self.tokens.invalidate(token)
        raise HubbleAuthError(
            "Hubble refused a fresh token (HTTP 401 after a new login)", code="unauthorized"
        )
