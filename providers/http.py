"""The one HTTP session every outbound call to a provider or gateway goes through.

Each request gets connect and read timeouts and a fresh `X-REQUEST-ID` (UUID4), and leaves
one `ProviderCall` row (bodies redacted). Only requests that are safe to repeat are retried,
with exponential back-off on connection errors, timeouts, 429 and 5xx.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import requests
from django.conf import settings

from providers.base import TransientProviderError
from providers.health import call_is_provider_fault, provider_circuit_record_call
from providers.models import CallOutcome, ProviderCall

logger = logging.getLogger(__name__)

# Keys whose values never reach the call log or an order's event data: credentials,
# signatures and what a buyer could redeem (docs/providers/: Hubble `cardPin`/`cardNumber`,
# FoxReload `externalData`, Digiflazz `sn`, which holds a PLN token; generic serials and codes).
ALWAYS_REDACTED = frozenset(
    {
        "sign",
        "signature",
        "clientsecret",
        "client_secret",
        "token",
        "password",
        "apikey",
        "api_key",
        "x-api-key",
        "authorization",
        "private_key",
        "cardpin",
        "cardnumber",
        "pin",
        "externaldata",
        "sn",
        "serial",
        "serialnumber",
        "serial_number",
        "vouchercode",
        "voucher_code",
    }
)
REDACTED = "[redacted]"
# A guest order's link token (`?t=` on the order page's address) opens a page with codes in
# clear; the shop no longer sends it out, and a body that still carries one is not logged.
LINK_TOKEN = re.compile(r"(?<=[?&]t=)[^&#\s\"']+")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BODY_LOGGED = 20_000
# A body larger than this (a full price list) is not parsed just to log its first bytes.
MAX_BODY_PARSED = 1_000_000
_session = requests.Session()


def redact_link_tokens(text: str) -> str:
    """`text` with the value of every `t=` query parameter (an order link token) replaced."""
    return LINK_TOKEN.sub(REDACTED, text)


def redact(value, keys: frozenset[str]):
    """A copy of a JSON-like value with the values of `keys` (case-insensitive) replaced,
    and order link tokens in any string redacted."""
    if isinstance(value, str):
        return redact_link_tokens(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if str(key).lower() in keys else redact(item, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, keys) for item in value]
    return value


def _body_for_log(body, keys: frozenset[str]) -> str:
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, bytes | str) and len(body) > MAX_BODY_PARSED:
        return f"[{len(body)} bytes, not logged]"
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            text = body.decode(errors="replace") if isinstance(body, bytes) else body
            return redact_link_tokens(text)[:MAX_BODY_LOGGED]
    return json.dumps(redact(body, keys), default=str)[:MAX_BODY_LOGGED]


@dataclass(frozen=True)
class HttpReply:
    status: int
    content: bytes
    headers: dict
    request_id: str

    def json(self):
        """The body as JSON; a body that is not JSON is a transient error (retry later)."""
        try:
            return json.loads(self.content)
        except ValueError:
            raise TransientProviderError(
                f"malformed JSON in a {self.status} reply", code="malformed_json"
            ) from None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ProviderHttp:
    """HTTP for one provider: `request()` returns an HttpReply for any HTTP status and raises
    TransientProviderError when no reply came (timeout, connection error)."""

    def __init__(
        self,
        provider: str,
        *,
        redact_keys: Iterable[str] = (),
        timeout: tuple[float, float] | None = None,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        fault_reply: Callable[[int, bytes], bool] | None = None,
    ):
        self.provider = provider
        self.redact_keys = ALWAYS_REDACTED | {key.lower() for key in redact_keys}
        self.timeout = timeout or (
            settings.PROVIDER_CONNECT_TIMEOUT,
            settings.PROVIDER_READ_TIMEOUT,
        )
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        # Whether a reply (status, body) says the provider itself is broken although HTTP
        # does not (Digiflazz's "seller disrupted" in a 200): counted by its circuit.
        self.fault_reply = fault_reply

    def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        json_body=None,
        data: bytes | Mapping[str, str] | None = None,  # a mapping is sent form-encoded
        params: dict | None = None,
        headers: dict | None = None,
        safe_to_retry: bool = False,
        reference: str = "",
    ) -> HttpReply:
        attempts = self.max_attempts if safe_to_retry else 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                reply = self._send_once(
                    method, url, endpoint, json_body, data, params, headers, reference
                )
            except TransientProviderError:
                if last:
                    raise
                self.sleep(self._delay(attempt, None))
                continue
            if reply.status in RETRY_STATUSES and not last:
                self.sleep(self._delay(attempt, reply.headers.get("retry-after")))
                continue
            return reply
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_seconds * 2 ** (attempt - 1)
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        return delay

    def _send_once(self, method, url, endpoint, json_body, data, params, headers, reference):
        request_id = str(uuid.uuid4())
        all_headers = {"X-REQUEST-ID": request_id, "Accept": "application/json", **(headers or {})}
        started = time.monotonic()
        call = ProviderCall(
            provider=self.provider,
            endpoint=endpoint,
            method=method.upper(),
            url=redact_link_tokens(url)[:500],
            request_id=request_id,
            reference=reference,
            request_body=_body_for_log(
                json_body if json_body is not None else data, self.redact_keys
            ),
        )
        try:
            response = _session.request(
                method,
                url,
                json=json_body,
                data=data,
                params=params,
                headers=all_headers,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            self._log(call, started, CallOutcome.TIMEOUT, error=str(exc))
            raise TransientProviderError(
                f"{self.provider} timed out: {exc}", code="timeout"
            ) from exc
        except requests.RequestException as exc:
            self._log(call, started, CallOutcome.CONNECTION_ERROR, error=str(exc))
            raise TransientProviderError(
                f"{self.provider} unreachable: {exc}", code="connection_error"
            ) from exc
        call.http_status = response.status_code
        call.response_body = _body_for_log(response.content, self.redact_keys)
        outcome = CallOutcome.OK if response.ok else CallOutcome.HTTP_ERROR
        call.provider_fault = bool(
            call_is_provider_fault(outcome=outcome, http_status=response.status_code)
        ) or self._fault_in_reply(response.status_code, response.content)
        self._log(call, started, outcome)
        return HttpReply(
            status=response.status_code,
            content=response.content,
            headers={key.lower(): value for key, value in response.headers.items()},
            request_id=request_id,
        )

    def _fault_in_reply(self, status: int, content: bytes) -> bool:
        if self.fault_reply is None:
            return False
        try:
            return bool(self.fault_reply(status, content))
        except Exception:  # a body the reader cannot judge is no verdict
            logger.exception("could not judge a reply of %s", self.provider)
            return False

    def _log(self, call: ProviderCall, started: float, outcome: str, error: str = "") -> None:
        """Store the call, and count it on the provider's circuit (providers/health.py)."""
        call.latency_ms = int((time.monotonic() - started) * 1000)
        call.outcome = outcome
        call.error = error[:2000]
        if outcome in (CallOutcome.TIMEOUT, CallOutcome.CONNECTION_ERROR):
            call.provider_fault = True
        try:
            call.save()
        except Exception:  # the log must never turn a provider reply into an error
            logger.exception("could not store the ProviderCall for %s", call.url)
            return
        provider_circuit_record_call(call)
