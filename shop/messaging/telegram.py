"""The Telegram Bot API backend: staff alerts to the chats staff chose (StaffAlertRoute).

`POST {TELEGRAM_BASE_URL}/bot{TELEGRAM_BOT_TOKEN}/sendMessage` with `chat_id`, `text` and
`parse_mode`; a 429 carries `parameters.retry_after` (seconds). Voucher codes never go
here: a confidential message is refused (and the table refuses to hold one)."""

from django.conf import settings
from django.utils.html import escape

from shop.messaging.backends import SendFailed, Sent
from shop.messaging.http import post_json
from shop.models import OutboundMessage

PRODUCTION_BASE_URL = "https://api.telegram.org"
MAX_TEXT = 4096  # Telegram's limit for one message's text


def base_url() -> str:
    """TELEGRAM_BASE_URL; else the simulator with simulators on; else api.telegram.org."""
    if settings.TELEGRAM_BASE_URL:
        return settings.TELEGRAM_BASE_URL.rstrip("/")
    if settings.SIMULATORS_ENABLED:
        return settings.SITE_URL.rstrip("/") + "/sim/telegram"
    return PRODUCTION_BASE_URL


def message_payload(message: OutboundMessage) -> dict:
    """HTML parse mode: the title in bold, everything we did not write escaped."""
    text = f"<b>{escape(message.subject)}</b>"
    if message.body:
        text += f"\n{escape(message.body)}"
    return {"chat_id": message.recipient, "text": text[:MAX_TEXT], "parse_mode": "HTML"}


def _error_of(body: dict) -> str:
    return f"{body.get('error_code', '')} {body.get('description', 'no description')}".strip()


def _retry_after_of(body: dict) -> float | None:
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    try:
        return float(parameters["retry_after"])
    except (KeyError, TypeError, ValueError):
        return None


def send(message: OutboundMessage) -> Sent:
    if message.confidential:
        raise SendFailed("refused: a message with codes never goes to a staff chat")
    if not settings.TELEGRAM_BOT_TOKEN:
        raise SendFailed("Telegram is not configured: set TELEGRAM_BOT_TOKEN.")
    body = post_json(
        f"{base_url()}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage",
        payload=message_payload(message),
        error_of=_error_of,
        retry_after_of=_retry_after_of,
    )
    result = body.get("result") if isinstance(body.get("result"), dict) else {}
    return Sent(external_id=str(result.get("message_id", ""))[:128])
