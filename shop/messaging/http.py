"""One HTTP POST for the WhatsApp and Telegram backends, mapped onto the backend outcomes:
2xx → the parsed JSON; 429 and 5xx → RetryLater (Retry-After honoured); other 4xx →
SendFailed; no connection → RetryLater. A read timeout is neither: the request may have
been taken, and sending again could send twice, so it is SendFailed ("outcome unknown")
for a person to look at. Nothing secret (the token, the body) is logged."""

import json
from collections.abc import Callable

import requests
from django.conf import settings

from shop.messaging.backends import RetryLater, SendFailed

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_session = requests.Session()


def retry_after_seconds(value: str | None) -> float | None:
    """The Retry-After header in seconds (its delay-seconds form); None when absent or a date."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds is not None else None


def post_json(
    url: str,
    *,
    payload: dict,
    headers: dict | None = None,
    error_of: Callable[[dict], str],
    retry_after_of: Callable[[dict], float | None] = lambda body: None,
) -> dict:
    """POST `payload`; `error_of(body)` says what an error reply means, `retry_after_of(body)`
    reads a wait from the body (Telegram's `parameters.retry_after`)."""
    try:
        response = _session.post(
            url,
            json=payload,
            headers=headers or {},
            timeout=(settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT),
        )
    except requests.ConnectTimeout as exc:
        raise RetryLater(f"no connection: {type(exc).__name__}") from None
    except requests.ReadTimeout:
        raise SendFailed(
            "outcome unknown: no reply in time (it may have been sent; check, then resend)"
        ) from None
    except requests.ConnectionError as exc:
        raise RetryLater(f"no connection: {type(exc).__name__}") from None
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if 200 <= response.status_code < 300:
        return body
    reason = f"HTTP {response.status_code}: {error_of(body)}"[:500]
    if response.status_code in RETRY_STATUSES:
        after = retry_after_seconds(response.headers.get("Retry-After"))
        raise RetryLater(reason, after=after if after is not None else retry_after_of(body))
    raise SendFailed(reason)
