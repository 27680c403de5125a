"""VIP Reseller's callback rule: `X-Client-Signature: md5(API ID + API KEY)`.

The signature is the same static value as the requests' `sign`: it proves the caller knows
our credentials but signs nothing of the body, so a callback is only a prompt. The shop
never settles an order from a callback's body alone: it asks VIP (`type=status` by trxid)
before anything moves (webhooks/callbacks/vipreseller.py).
The body is JSON `{"data": {"trxid", "data", "zone", "service", "status", "note",
"price"}}` (the shape of a status item); a body with the fields at the top level is read
the same way.
"""

import hmac
import json
from dataclasses import dataclass

from providers.vipreseller.client import vip_sign

SIGNATURE_HEADER = "X-Client-Signature"


def verify_callback(api_id: str, api_key: str, header: str | None) -> bool:
    """Whether `header` is md5(API ID + API KEY) (constant-time; False without credentials
    or header)."""
    if not api_id or not api_key or not header:
        return False
    return hmac.compare_digest(vip_sign(api_id, api_key), header.strip().lower())


@dataclass(frozen=True)
class TransactionPrompt:
    """What a callback names: VIP's trxid, and the status it claims (checked before use)."""

    trxid: str
    status: str


def parse_callback_body(body: bytes) -> TransactionPrompt:
    """The trxid and claimed status of a callback. ValueError when the body is not a JSON
    object or names no trxid."""
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("a VIP Reseller callback body must be a JSON object")
    data = payload.get("data", payload)
    if not isinstance(data, dict):
        raise ValueError("a VIP Reseller callback's data must be an object")
    trxid = str(data.get("trxid") or "").strip()
    if not trxid:
        raise ValueError("a VIP Reseller callback must name a trxid")
    return TransactionPrompt(trxid=trxid, status=str(data.get("status") or "").strip().lower())
