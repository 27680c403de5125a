"""The only code that speaks HTTP to the Shan game provider (through ProviderHttp: timeouts,
X-REQUEST-ID, a ProviderCall row per call).

`POST {base}/api/client/launch-game` with `{agent_code, product_code: 15, game_type:
"shan_komee", member_account, balance, nickname, callback_url}` answers
`{"code": 200, "message": "Game launched successfully", "url": ...}`. Errors are raised as
the shop's errors:

- `{"code": 422, "message": "Validation failed", "errors": {field: [...]}}`, 401, 404 and any
  other documented refusal → FinalProviderError (the message names the fields);
- HTTP 5xx, `{"code": 500, ...}`, 408, 429, a timeout, a connection error, a body that is not
  JSON or has no URL → TransientProviderError (try again later).
"""

from decimal import Decimal

from providers.base import FinalProviderError, TransientProviderError
from providers.http import HttpReply, ProviderHttp

CODE = "shan"
LAUNCH_PATH = "/api/client/launch-game"
PRODUCT_CODE = 15
GAME_TYPE = "shan_komee"
TRANSIENT_STATUSES = frozenset({408, 429})


class ShanClient:
    def __init__(self, *, base_url: str, agent_code: str, http: ProviderHttp | None = None):
        self.base_url = base_url.rstrip("/")
        self.agent_code = agent_code
        # A launch is not repeated: each one resets the player's balance at the provider.
        self.http = http or ProviderHttp(CODE, max_attempts=1)

    def launch_game(
        self,
        *,
        member_account: str,
        balance: Decimal,
        nickname: str,
        callback_url: str,
    ) -> str:
        """Launch a game for `member_account` with `balance`; return the game URL."""
        payload = {
            "agent_code": self.agent_code,
            "product_code": PRODUCT_CODE,
            "game_type": GAME_TYPE,
            "member_account": member_account,
            "balance": _money(balance),
            "nickname": nickname,
            "callback_url": callback_url,
        }
        reply = self.http.request(
            "POST",
            f"{self.base_url}{LAUNCH_PATH}",
            endpoint="api/client/launch-game",
            json_body=payload,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            safe_to_retry=False,
            reference=member_account[:100],
        )
        return _launch_url(reply)


def _money(amount: Decimal) -> int | float:
    """The balance as a JSON number, as the provider's own examples send it (1000.00)."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount.quantize(Decimal("0.01")))


def _launch_url(reply: HttpReply) -> str:
    if reply.status >= 500 or reply.status in TRANSIENT_STATUSES:
        raise TransientProviderError(
            f"The Shan provider could not launch the game (HTTP {reply.status}).",
            code=f"http_{reply.status}",
        )
    body = reply.json()
    if not isinstance(body, dict):
        raise TransientProviderError(
            "The Shan provider sent a reply that is not an object.", code="malformed"
        )
    code = body.get("code")
    message = str(body.get("message") or "").strip()
    if code == 200 and reply.ok:
        url = body.get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
        raise TransientProviderError(
            "The Shan provider launched the game but sent no game URL.", code="no_url"
        )
    if code == 500 or (isinstance(code, int) and code >= 500):
        raise TransientProviderError(
            f"The Shan provider could not launch the game ({message or 'no reason given'}).",
            code="launch_failed",
            raw=body,
        )
    errors = body.get("errors")
    details = _errors_text(errors) if isinstance(errors, dict) else ""
    text = message or f"refused (HTTP {reply.status})"
    raise FinalProviderError(
        f"The Shan provider refused the launch: {text}{f' ({details})' if details else ''}.",
        code=f"code_{code}" if code is not None else f"http_{reply.status}",
        raw=body,
    )


def _errors_text(errors: dict) -> str:
    parts = []
    for field, messages in errors.items():
        if isinstance(messages, list):
            messages = " ".join(str(message) for message in messages)
        parts.append(f"{field}: {messages}")
    return "; ".join(parts)
