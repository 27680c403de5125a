"""The only code that speaks HTTP to VIP Reseller's API (docs/providers/vipreseller.md).

Every call is a form-encoded POST (`application/x-www-form-urlencoded`) under the base URL
carrying `key` (the API key) and `sign` = md5(API ID + API KEY): the same signature on every
call, since it signs no request field. `profile` is the account (our balance);
`game-feature` takes `type` = `services` (price list), `order`, `status` or `get-nickname`.

Reads (profile, services, status, get-nickname) are retried with back-off on 429, 5xx and
network errors; an `order` is sent exactly once: VIP takes no reference of ours, so a
repeat would be a second, paid order.
"""

import hashlib

from providers.http import HttpReply, ProviderHttp

CODE = "vipreseller"
PRODUCTION_BASE_URL = "https://vip-reseller.co.id/api"
# `key` is the API key itself (`sign` is always redacted by ProviderHttp); a success's
# `note` is what was delivered (a serial, or a voucher-like service's account).
REDACTED_KEYS = ("key", "note")


def vip_sign(api_id: str, api_key: str) -> str:
    """md5(API ID + API KEY) in lowercase hex, as VIP Reseller checks `sign` (and as its
    callback's X-Client-Signature header carries it)."""
    return hashlib.md5(f"{api_id}{api_key}".encode(), usedforsecurity=False).hexdigest()


class VipResellerClient:
    """Builds and sends VIP Reseller's calls; returns the HttpReply whatever its status.

    Raises TransientProviderError (from ProviderHttp) only when no reply came at all.
    """

    def __init__(
        self, *, api_id: str, api_key: str, base_url: str, http: ProviderHttp | None = None
    ):
        self.api_id = api_id
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.http = http or ProviderHttp(provider=CODE, redact_keys=REDACTED_KEYS)

    def sign(self) -> str:
        return vip_sign(self.api_id, self.api_key)

    def profile(self) -> HttpReply:
        """`POST /profile`: the account, with `balance` (IDR)."""
        return self._post("profile", {}, endpoint="profile", safe_to_retry=True)

    def services(
        self, *, filter_type: str = "", filter_value: str = "", filter_status: str = ""
    ) -> HttpReply:
        """`type=services`: the game price list; optional `filter_type` (`game`) with
        `filter_value` (a game name), and `filter_status` (`available` / `empty`)."""
        fields = {"type": "services"}
        for name, value in (
            ("filter_type", filter_type),
            ("filter_value", filter_value),
            ("filter_status", filter_status),
        ):
            if value:
                fields[name] = value
        return self._post("game-feature", fields, endpoint="services", safe_to_retry=True)

    def order(
        self, *, service: str, data_no: str, data_zone: str = "", reference: str
    ) -> HttpReply:
        """`type=order`: buys `service` for account `data_no` (`data_zone` where the game has
        one) and charges our balance. Sent once: VIP takes no reference of ours. `reference`
        (our order code) is only for the call log."""
        fields = {"type": "order", "service": service, "data_no": data_no}
        if data_zone:
            fields["data_zone"] = data_zone
        return self._post(
            "game-feature", fields, endpoint="order", safe_to_retry=False, reference=reference
        )

    def status(self, *, trxid: str, reference: str = "") -> HttpReply:
        """`type=status` with `trxid`: the transaction (a list of one in `data`)."""
        fields = {"type": "status", "trxid": trxid}
        return self._post(
            "game-feature", fields, endpoint="status", safe_to_retry=True, reference=reference
        )

    def get_nickname(self, *, code: str, target: str, additional_target: str = "") -> HttpReply:
        """`type=get-nickname`: the account name of `target` (and `additional_target`, e.g.
        a Mobile Legends zone) in game `code` (VIP's game code, e.g. `mobile-legends`)."""
        fields = {"type": "get-nickname", "code": code, "target": target}
        if additional_target:
            fields["additional_target"] = additional_target
        return self._post("game-feature", fields, endpoint="get-nickname", safe_to_retry=True)

    def _post(
        self,
        path: str,
        fields: dict[str, str],
        *,
        endpoint: str,
        safe_to_retry: bool,
        reference: str = "",
    ) -> HttpReply:
        body = {"key": self.api_key, "sign": self.sign(), **fields}
        return self.http.request(
            "POST",
            f"{self.base_url}/{path}",
            endpoint=endpoint,
            data=body,
            safe_to_retry=safe_to_retry,
            reference=reference,
        )
