"""The only code that speaks HTTP to Digiflazz's buyer API (docs/providers/digiflazz.md).

Every call is a JSON POST under the base URL, signed with md5(username + api key + suffix):
"depo" for /cek-saldo, "pricelist" for /price-list, the ref_id for /transaction, the
customer_no for /inquiry-pln (the PLN account check). The API
key itself never leaves the process; the signature and the serial number (a PLN token is
a serial) are redacted from the call log.
"""

import hashlib

from django.conf import settings

from providers.digiflazz.rc import reply_is_provider_fault
from providers.http import HttpReply, ProviderHttp

CODE = "digiflazz"
PRODUCTION_BASE_URL = "https://api.digiflazz.com/v1"
# `sign` is always redacted by ProviderHttp; `sn` can be a redeemable PLN token.
REDACTED_KEYS = ("sn",)


def digiflazz_sign(username: str, api_key: str, suffix: str) -> str:
    """md5(username + api key + suffix) in lowercase hex, as Digiflazz checks it."""
    text = f"{username}{api_key}{suffix}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DigiflazzClient:
    """Builds and sends the three Digiflazz calls; returns the HttpReply whatever its status.

    Raises TransientProviderError (from ProviderHttp) only when no reply came at all.
    """

    def __init__(
        self,
        *,
        username: str,
        api_key: str,
        base_url: str,
        http: ProviderHttp | None = None,
        lookup_http: ProviderHttp | None = None,
    ):
        self.username = username
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.http = http or ProviderHttp(
            provider=CODE, redact_keys=REDACTED_KEYS, fault_reply=reply_is_provider_fault
        )
        # A buyer waits on an account check: it gets the short ACCOUNT_CHECK_READ_TIMEOUT.
        self.lookup_http = lookup_http or ProviderHttp(
            provider=CODE,
            redact_keys=REDACTED_KEYS,
            timeout=(settings.PROVIDER_CONNECT_TIMEOUT, settings.ACCOUNT_CHECK_READ_TIMEOUT),
            max_attempts=1,
            fault_reply=reply_is_provider_fault,
        )

    def sign(self, suffix: str) -> str:
        return digiflazz_sign(self.username, self.api_key, suffix)

    def check_balance(self) -> HttpReply:
        body = {"cmd": "deposit", "username": self.username, "sign": self.sign("depo")}
        return self._post("/cek-saldo", body, safe_to_retry=True)

    def price_list(self) -> HttpReply:
        body = {"cmd": "prepaid", "username": self.username, "sign": self.sign("pricelist")}
        return self._post("/price-list", body, safe_to_retry=True)

    def transaction(
        self,
        *,
        ref_id: str,
        buyer_sku_code: str,
        customer_no: str,
        max_price: int | None = None,
        cb_url: str = "",
        testing: bool = False,
        safe_to_retry: bool = False,
    ) -> HttpReply:
        """POST /transaction. Re-posting the same body with the same ref_id is Digiflazz's
        status check: it returns the existing transaction and never creates a second one."""
        body: dict = {
            "username": self.username,
            "buyer_sku_code": buyer_sku_code,
            "customer_no": customer_no,
            "ref_id": ref_id,
            "sign": self.sign(ref_id),
        }
        if testing:
            body["testing"] = True
        if max_price is not None:
            body["max_price"] = max_price
        if cb_url:
            body["cb_url"] = cb_url
        return self._post("/transaction", body, safe_to_retry=safe_to_retry, reference=ref_id)

    def inquiry_pln(self, *, customer_no: str) -> HttpReply:
        """POST /inquiry-pln: whose PLN account (meter number or subscriber id) this is. A
        read: nothing is bought or charged."""
        body = {
            "username": self.username,
            "customer_no": customer_no,
            "sign": self.sign(customer_no),
        }
        return self._post("/inquiry-pln", body, safe_to_retry=False, http=self.lookup_http)

    def _post(
        self,
        path: str,
        body: dict,
        *,
        safe_to_retry: bool,
        reference: str = "",
        http: ProviderHttp | None = None,
    ) -> HttpReply:
        return (http or self.http).request(
            "POST",
            f"{self.base_url}{path}",
            endpoint=path.lstrip("/"),
            json_body=body,
            safe_to_retry=safe_to_retry,
            reference=reference,
        )
