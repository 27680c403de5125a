"""What every callback view does, in this order (docs/callbacks.md):

1. cap the body (413 before any parsing or HMAC; a chunked body read within the cap, or 411)
   and keep the raw bytes;
2. an address past its bucket of unverified deliveries gets 429 and nothing is stored,
   unless this delivery's signature verifies;
3. store a WebhookDelivery, which survives every outcome: until the signature verifies it
   keeps the body's size, SHA-256 and first KiB, and headers within a bound;
4. check the source IP where an allow-list is configured;
5. verify the signature on the raw bytes (a missing secret refuses every call); a verified
   delivery is then stored whole;
6. parse and validate with a DRF serializer;
7. apply through the services in one transaction;
8. answer in the caller's own format; never a 500 for anything the caller sent.

Unverified deliveries older than WEBHOOK_REJECTED_RETENTION_DAYS are pruned by the beat
(`webhooks.tasks.webhooks_prune_unverified`).
"""

import ipaddress
import json
import logging
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import Order
from shop.errors import ApplicationError
from shop.parsers import JSONParser
from shop.ratelimit import rate_limit_hit, rate_limit_peek
from webhooks.body import CallbackBody, read_callback_body
from webhooks.models import DeliveryOutcome, WebhookDelivery

logger = logging.getLogger(__name__)

MASKED = "[masked]"
# What is kept of a delivery whose signature did not verify (anyone can send one): the
# first KiB of the body, and headers (shortest first, values cut) up to about a KiB.
UNVERIFIED_BODY_KEPT = 1024
UNVERIFIED_HEADERS_KEPT = 1024
UNVERIFIED_HEADER_VALUE_KEPT = 256
_SECRET_HEADER_WORDS = ("signature", "key", "token", "authorization", "verify", "cookie", "secret")


class WebhookRejected(Exception):
    """The caller sent something we refuse: a 4xx with a code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Handled:
    """What applying a callback did."""

    outcome: str = DeliveryOutcome.PROCESSED
    body: dict | None = None  # the reply; None for the view's default success reply
    status: int = 200
    order: Order | None = None
    wager_code: str = ""
    reference: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


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


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            logger.warning("ignoring the invalid network %r in settings", network)
    return False


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(meta: dict) -> str:
    """The caller's address: REMOTE_ADDR, or, when that is a trusted proxy, the right-most
    X-Forwarded-For entry that is not itself a trusted proxy. "" when no valid address is
    known (a hop that is not an address ends the search: nothing before it is believed)."""
    address = meta.get("REMOTE_ADDR", "")
    if not _valid_ip(address):
        return ""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not _in_networks(address, trusted):
        return address
    forwarded = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in forwarded if hop]):
        if not _valid_ip(hop):
            return ""
        if not _in_networks(hop, trusted):
            return hop
    return address


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large")
    return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json_object(raw: bytes) -> dict:
    try:
        body = json.loads(raw, parse_float=_finite_float, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", "The body must be a JSON object.")
    return body


def validated(serializer_class: type[serializers.Serializer], data: dict) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise WebhookRejected(
            422, "INVALID_REQUEST_DATA", f"Invalid request data: {_first_errors(serializer.errors)}"
        )
    return serializer.validated_data


def _first_errors(errors, prefix: str = "") -> str:
    if isinstance(errors, dict):
        parts = [_first_errors(value, f"{prefix}{key}.") for key, value in errors.items()]
        return "; ".join(part for part in parts if part)
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        parts = [_first_errors(item, f"{prefix}{index}.") for index, item in enumerate(errors)]
        return "; ".join(part for part in parts if part)
    messages = errors if isinstance(errors, list) else [errors]
    return f"{prefix.rstrip('.')}: {' '.join(str(message) for message in messages)}"


class WebhookView(APIView):
    """Subclasses set `source` and implement `secret`, `verify_signature`, `handle` and
    the caller's reply formats (`success_body`, `error_body`)."""

    source: str
    allowed_ips_setting: str = ""
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Declared for the OpenAPI schema only: post() reads the raw bytes and never request.data.
    parser_classes = [JSONParser]
    throttle_classes: list = []

    # --- the caller's own protocol ---------------------------------------------------------
    def secret(self) -> str:
        raise NotImplementedError

    def verify_signature(self, raw: bytes, headers: dict, secret: str) -> bool:
        raise NotImplementedError

    def handle(self, raw: bytes, headers: dict, delivery: WebhookDelivery) -> Handled:
        raise NotImplementedError

    def success_body(self, handled: Handled) -> dict:
        return {"success": True}

    def error_body(self, code: str, message: str) -> dict:
        return {"success": False, "code": code, "message": message}

    # --- the common flow ---------------------------------------------------------------------
    def post(self, request, *args, **kwargs):
        django_request = request._request
        meta = django_request.META
        address = client_address(meta)
        body = read_callback_body(django_request, cap=settings.WEBHOOK_MAX_BODY_BYTES)
        refused = self._over_unverified_limit(address, body, django_request.headers)
        if refused is not None:
            return refused
        delivery = WebhookDelivery.objects.create(
            source=self.source,
            remote_addr=address or None,
            headers=bounded_headers(masked_headers(meta)),
            raw_body=body.raw[:UNVERIFIED_BODY_KEPT],
            body_size=body.size,
            body_sha256=body.sha256,
        )
        try:
            if body.refusal is not None:
                raise WebhookRejected(*body.refusal)
            self._check_source(delivery)
            self._check_signature(body.raw, django_request.headers, delivery, meta)
            handled = self.handle(body.raw, django_request.headers, delivery)
        except WebhookRejected as rejected:
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.REJECTED,
                    body=self.error_body(rejected.code, rejected.message),
                    status=rejected.status,
                    note=f"{rejected.code}: {rejected.message}",
                ),
            )
        except ApplicationError as refused:  # a rule of the shop refused what was reported
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.REJECTED,
                    body=self.error_body(refused.code.upper(), refused.message),
                    status=409,
                    note=f"{refused.code}: {refused.message}",
                ),
            )
        except Exception as exc:  # our fault: the caller gets a clean 500, staff the details
            logger.exception("webhook %s #%s failed", self.source, delivery.pk)
            return self._finish(
                delivery,
                Handled(
                    outcome=DeliveryOutcome.FAILED,
                    body=self.error_body("INTERNAL_ERROR", "Internal error; it has been logged."),
                    status=500,
                    note=f"{type(exc).__name__}: {exc}",
                ),
            )
        if handled.body is None:
            handled.body = self.success_body(handled)
        return self._finish(delivery, handled)

    def _over_unverified_limit(self, address: str, body: CallbackBody, headers) -> Response | None:
        """429 (nothing stored) when the address has used up its unverified deliveries and
        this one does not verify either; None to go on. A delivery that verifies always goes
        on: only what fails the signature counts (`_finish`)."""
        limit = settings.WEBHOOK_UNVERIFIED_PER_MINUTE
        if not limit:
            return None
        bucket = rate_limit_peek(key=unverified_limit_key(address), limit=limit)
        if bucket.allowed or (body.refusal is None and self._signature_verifies(body.raw, headers)):
            return None
        logger.warning("webhook %s: too many unverified deliveries from %s", self.source, address)
        response = Response(
            self.error_body(
                "TOO_MANY_REQUESTS",
                f"Too many calls that did not verify from this address; retry in "
                f"{bucket.retry_after} s.",
            ),
            status=429,
        )
        response["Retry-After"] = str(bucket.retry_after)
        return response

    def _signature_verifies(self, raw: bytes, headers) -> bool:
        secret = self.secret()
        if not secret:
            return False
        try:
            return bool(self.verify_signature(raw, headers, secret))
        except Exception:  # a signature we cannot even read (or a body) does not verify
            return False

    def _check_source(self, delivery: WebhookDelivery) -> None:
        allowed = (
            getattr(settings, self.allowed_ips_setting, []) if self.allowed_ips_setting else []
        )
        if allowed and not _in_networks(delivery.remote_addr or "", allowed):
            raise WebhookRejected(403, "IP_NOT_ALLOWED", "This address may not call this URL.")

    def _check_signature(self, raw: bytes, headers, delivery: WebhookDelivery, meta) -> None:
        secret = self.secret()
        if not secret:
            raise WebhookRejected(
                503, "NOT_CONFIGURED", "The shop has no secret for this callback; it is refused."
            )
        try:
            valid = bool(self.verify_signature(raw, headers, secret))
        except WebhookRejected:
            raise
        except Exception:  # a signature we cannot even read is an invalid one
            valid = False
        delivery.signature_valid = valid
        if not valid:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(signature_valid=False)
            raise WebhookRejected(401, "INVALID_SIGNATURE", "The signature does not verify.")
        # The caller is who it says: keep everything it sent.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            signature_valid=True, raw_body=raw, headers=masked_headers(meta)
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
