"""WhatsApp delivery-status webhooks (Cloud API), at /api/webhooks/whatsapp.

- GET: Meta's subscription check. `hub.mode=subscribe` and `hub.verify_token` equal to
  WHATSAPP_VERIFY_TOKEN → 200 with `hub.challenge` as the body; anything else → 403.
- POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, key = the app
  secret>`, checked before the body is parsed; a missing or wrong signature → 403 and
  nothing changes (429 past WEBHOOK_UNVERIFIED_PER_MINUTE from one address). Each
  `entry[].changes[].value.statuses[]` moves the message with that
  `wamid` forward (sent → delivered → read; failed with its error); an unknown id or a
  status that would move it back changes nothing. Always 200 once verified, so Meta does
  not retry what the shop already took.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shop.client_address import client_address
from shop.models import MessageChannel, MessageState, OutboundMessage
from shop.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

# How far each status moves a message; a lower rank never overwrites a higher one.
_RANK = {
    MessageState.SENT: 1,
    MessageState.DELIVERED: 2,
    MessageState.READ: 3,
    MessageState.FAILED: 4,
}
_STATE_OF = {
    "sent": MessageState.SENT,
    "delivered": MessageState.DELIVERED,
    "read": MessageState.READ,
    "failed": MessageState.FAILED,
}


def whatsapp_signature(body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 value Meta sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def whatsapp_signature_valid(body: bytes, header: str) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header:
        return False
    return hmac.compare_digest(whatsapp_signature(body, secret), header.strip())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _verify_subscription(request)
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return HttpResponse("Body too large.", status=413, content_type="text/plain")
    if not whatsapp_signature_valid(body, request.headers.get("X-Hub-Signature-256", "")):
        return _refuse_unsigned(request)
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponse("Body is not JSON.", status=400, content_type="text/plain")
    applied = whatsapp_apply_statuses(payload)
    return HttpResponse(f"{applied} status(es) applied.", content_type="text/plain")


def _refuse_unsigned(request: HttpRequest) -> HttpResponse:
    """403; past WEBHOOK_UNVERIFIED_PER_MINUTE from one address, 429 (as other callbacks)."""
    limit = settings.WEBHOOK_UNVERIFIED_PER_MINUTE
    address = client_address(request.META)
    if limit and not rate_limit_hit(key=f"whatsapp-unverified:{address}", limit=limit).allowed:
        return HttpResponse("Too many requests.", status=429, content_type="text/plain")
    return HttpResponse("Invalid signature.", status=403, content_type="text/plain")


def _verify_subscription(request: HttpRequest) -> HttpResponse:
    token = settings.WHATSAPP_VERIFY_TOKEN
    if (
        request.GET.get("hub.mode") == "subscribe"
        and token
        and hmac.compare_digest(request.GET.get("hub.verify_token", ""), token)
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("Verification failed.", status=403, content_type="text/plain")


def _statuses(payload) -> list[dict]:
    if not isinstance(payload, dict):
        return []
    found = []
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            statuses = value.get("statuses") if isinstance(value, dict) else None
            found.extend(s for s in statuses or [] if isinstance(s, dict))
    return found


def whatsapp_apply_statuses(payload) -> int:
    """Apply each status of a verified webhook body; returns how many moved a message."""
    applied = 0
    for status in _statuses(payload):
        state = _STATE_OF.get(str(status.get("status", "")))
        wamid = str(status.get("id", ""))[:128]
        if state is None or not wamid:
            continue
        lower_ranks = [s for s, rank in _RANK.items() if rank < _RANK[state]]
        values = {"state": state, "updated_at": timezone.now()}
        if state in (MessageState.DELIVERED, MessageState.READ):
            values["delivered_at"] = timezone.now()
        if state == MessageState.FAILED:
            errors = status.get("errors") if isinstance(status.get("errors"), list) else []
            first = errors[0] if errors and isinstance(errors[0], dict) else {}
            values["last_error"] = (
                f"WhatsApp: {first.get('code', '')} {first.get('title', 'failed')}".strip()[:2000]
            )
        applied += OutboundMessage.objects.filter(
            channel=MessageChannel.WHATSAPP, external_id=wamid, state__in=lower_ranks
        ).update(**values)
    return applied
