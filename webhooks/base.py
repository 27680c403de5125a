"""What every callback view does, in this order (docs/callbacks.md):

1. cap the body (413 before any parsing or HMAC; a chunked body read within the cap, or 411)
   and keep the raw bytes;
2. an address past its bucket of unverified deliveries gets 429 and nothing is stored,
   unless this delivery's signature verifies (the signature is checked once, on the raw
   bytes; a missing secret refuses every call);
3. a verified delivery from an allowed address that repeats one applied in full (a Shan
   round settled with this very content: `CallbackProtocol.repeat_reply`) is answered
   from one indexed lookup, and nothing is stored or changed;
4. store a WebhookDelivery, which survives every outcome: a verified one whole, any other
   with the body's size, SHA-256 and first KiB, and headers within a bound;
5. check the source IP where an allow-list is configured, and refuse what did not verify;
6. hand the stored delivery to `webhooks.processing.delivery_process`, which parses it once
   into the provider's dataclass (validated by a DRF serializer) and applies it through the
   services;
7. answer in the caller's own format; never a 500 for anything the caller sent.

What is particular to each caller (secret, signature, body, reply format) is its
CallbackProtocol (webhooks/protocol.py, webhooks/callbacks/).

Unverified deliveries older than WEBHOOK_REJECTED_RETENTION_DAYS are pruned by the beat
(`webhooks.tasks.webhooks_prune_unverified`).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.client_address import client_address, in_networks
from shop.errors import ApplicationError
from shop.parsers import JSONParser
from shop.ratelimit import rate_limit_hit, rate_limit_peek
from webhooks.body import CallbackBody, read_callback_body
from webhooks.models import DeliveryOutcome, WebhookDelivery
from webhooks.processing import delivery_process
from webhooks.protocol import CallbackProtocol, Handled, WebhookRejected

logger = logging.getLogger(__name__)

MASKED = "[masked]"
# What is kept of a delivery whose signature did not verify (anyone can send one): the
# first KiB of the body, and headers (shortest first, values cut) up to about a KiB.
UNVERIFIED_BODY_KEPT = 1024
UNVERIFIED_HEADERS_KEPT = 1024
UNVERIFIED_HEADER_VALUE_KEPT = 256
_SECRET_HEADER_WORDS = ("signature", "key", "token", "authorization", "verify", "cookie", "secret")


def masked_headers(meta: dict) -> dict:
    headers = {}
    for key, value in meta.items():
        if not (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")):
            continue
        name = key.removeprefix("HTTP_").replace("_", "-").title()
        secret = any(word in name.lower() for word in _SECRET_HEADER_WORDS)
        headers[name] = MASKED if secret and value else value
    return headers


def bounded_headers(headers: dict) -> dict:
    """What an unverified delivery keeps of its headers: the shortest first (the signature,
    event and agent headers that tell who called), each value cut, about
    UNVERIFIED_HEADERS_KEPT characters in all; how many were left out is noted."""
    kept, used = {}, 0
    ordered = sorted(headers.items(), key=lambda item: len(item[0]) + len(str(item[1])))
    for name, value in ordered:
        name, value = name[:64], str(value)[:UNVERIFIED_HEADER_VALUE_KEPT]
        used += len(name) + len(value) + 6  # the JSON quotes, colon, comma and spaces
        if used > UNVERIFIED_HEADERS_KEPT:
            kept["..."] = f"{len(headers) - len(kept)} more headers not kept (unverified)"
            break
        kept[name] = value
    return kept


def unverified_limit_key(address: str) -> str:
    """The rate-limit bucket of an address's unverified deliveries (all callback URLs)."""
    return f"webhook-unverified:{address or 'unknown'}"


@dataclass(frozen=True)
class SignatureCheck:
    """The one check of a delivery's signature: `valid`, or `rejected` when the body could
    not even be read for it (Shan's signature is over the body's tokens)."""

    configured: bool
    valid: bool
    rejected: WebhookRejected | None = None


def signature_check(protocol: CallbackProtocol, body: CallbackBody, headers) -> SignatureCheck:
    """The delivery's signature, checked once on the raw bytes before anything is stored: the
    429 decision and the signature step both read this. A body refused for its size or
    framing, or a source with no secret configured, is never checked."""
    secret = protocol.secret()
    if not secret or body.refusal is not None:
        return SignatureCheck(configured=bool(secret), valid=False)
    try:
        return SignatureCheck(
            configured=True, valid=bool(protocol.verify(body.raw, headers, secret))
        )
    except WebhookRejected as rejected:
        return SignatureCheck(configured=True, valid=False, rejected=rejected)
    except Exception:  # a signature we cannot even read (or a body) does not verify
        return SignatureCheck(configured=True, valid=False)


class WebhookView(APIView):
    """A callback URL: subclasses set `protocol`, the caller's CallbackProtocol."""

    protocol: CallbackProtocol
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Declared for the OpenAPI schema only: post() reads the raw bytes and never request.data.
    parser_classes = [JSONParser]
    throttle_classes: list = []

    def handle(self, delivery: WebhookDelivery) -> Handled:
        """The stored, verified delivery, processed where every stored callback is."""
        return delivery_process(delivery)

    def post(self, request, *args, **kwargs):
        django_request = request._request
        meta = django_request.META
        address = client_address(meta)
        body = read_callback_body(django_request, cap=settings.WEBHOOK_MAX_BODY_BYTES)
        signature = signature_check(self.protocol, body, django_request.headers)
        refused = self._over_unverified_limit(address, signature)
        if refused is not None:
            return refused
        verified = signature.valid and self._source_allowed(address)
        if verified:
            repeat = self.protocol.repeat_reply(body.raw)
            if repeat is not None:
                return Response(repeat, status=200)
        # A verified delivery is stored whole at once; any other keeps a bounded part.
        delivery = WebhookDelivery.objects.create(
            source=self.protocol.source,
            remote_addr=address or None,
            headers=masked_headers(meta) if verified else bounded_headers(masked_headers(meta)),
            raw_body=body.raw if verified else body.raw[:UNVERIFIED_BODY_KEPT],
            body_size=body.size,
            body_sha256=body.sha256,
            signature_valid=True if verified else None,
        )
        try:
            if body.refusal is not None:
                raise WebhookRejected(*body.refusal)
            self._check_source(delivery)
            self._record_signature(delivery, signature, raw=body.raw, meta=meta)
            handled = self.handle(delivery)
        except WebhookRejected as rejected:
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.REJECTED,
                    body=self.protocol.error_body(rejected.code, rejected.message),
                    status=rejected.status,
                    note=f"{rejected.code}: {rejected.message}",
                ),
            )
        except ApplicationError as refused:  # a rule of the shop refused what was reported
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.REJECTED,
                    body=self.protocol.error_body(refused.code.upper(), refused.message),
                    status=409,
                    note=f"{refused.code}: {refused.message}",
                ),
            )
        except Exception as exc:  # our fault: the caller gets a clean 500, staff the details
            logger.exception("webhook %s #%s failed", self.protocol.source, delivery.pk)
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.FAILED,
                    body=self.protocol.error_body(
                        "INTERNAL_ERROR", "Internal error; it has been logged."
                    ),
                    status=500,
                    note=f"{type(exc).__name__}: {exc}",
                ),
            )
        if handled.body is None:
            handled.body = self.protocol.success_body(handled)
        return self._finish(delivery, handled)

    def _over_unverified_limit(self, address: str, signature: SignatureCheck) -> Response | None:
        """429 (nothing stored) when the address has used up its unverified deliveries and
        this one does not verify either; None to go on. A delivery that verifies always goes
        on: only what fails the signature counts (`_finish`)."""
        limit = settings.WEBHOOK_UNVERIFIED_PER_MINUTE
        if not limit or signature.valid:
            return None
        bucket = rate_limit_peek(key=unverified_limit_key(address), limit=limit)
        if bucket.allowed or signature.valid:
            return None
        logger.warning(
            "webhook %s: too many unverified deliveries from %s", self.protocol.source, address
        )
        response = Response(
            self.protocol.error_body(
                "TOO_MANY_REQUESTS",
                f"Too many calls that did not verify from this address; retry in "
                f"{bucket.retry_after} s.",
            ),
            status=429,
        )
        response["Retry-After"] = str(bucket.retry_after)
        return response

    def _source_allowed(self, address: str) -> bool:
        setting = self.protocol.allowed_ips_setting
        allowed = getattr(settings, setting, []) if setting else []
        return not allowed or in_networks(address or "", allowed)

    def _check_source(self, delivery: WebhookDelivery) -> None:
        if not self._source_allowed(delivery.remote_addr or ""):
            raise WebhookRejected(403, "IP_NOT_ALLOWED", "This address may not call this URL.")

    def _record_signature(
        self, delivery: WebhookDelivery, signature: SignatureCheck, *, raw: bytes, meta
    ) -> None:
        """Refuse a delivery that did not verify; keep everything a verified one sent."""
        if not signature.configured:
            raise WebhookRejected(
                503, "NOT_CONFIGURED", "The shop has no secret for this callback; it is refused."
            )
        if signature.rejected is not None:
            raise signature.rejected
        if delivery.signature_valid:  # verified: stored whole already
            return
        delivery.signature_valid = signature.valid
        if not signature.valid:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(signature_valid=False)
            raise WebhookRejected(401, "INVALID_SIGNATURE", "The signature does not verify.")
        # The caller is who it says: keep everything it sent.
        delivery.raw_body, delivery.headers = raw, masked_headers(meta)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            signature_valid=True, raw_body=delivery.raw_body, headers=delivery.headers
        )

    def _finish(self, delivery: WebhookDelivery, handled: Handled) -> Response:
        if delivery.signature_valid is not True and settings.WEBHOOK_UNVERIFIED_PER_MINUTE:
            rate_limit_hit(
                key=unverified_limit_key(delivery.remote_addr or ""),
                limit=settings.WEBHOOK_UNVERIFIED_PER_MINUTE,
            )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            outcome=handled.outcome,
            http_status=handled.status,
            error=_storable(handled.note, 2000),
            order=handled.order,
            wager_code=_storable(handled.wager_code, 100),
            reference=_storable(handled.reference, 100),
            processed_at=timezone.now(),
        )
        return Response(handled.body, status=handled.status)


def _storable(text: str, limit: int) -> str:
    """Caller-given text as a PostgreSQL text column takes it: a NUL (which it refuses)
    shown as `\\x00`, then cut to `limit`."""
    return text.replace("\x00", "\\x00")[:limit]
