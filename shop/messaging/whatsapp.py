"""The WhatsApp Business Cloud API backend: approved template messages to buyers.

`POST {WHATSAPP_BASE_URL}/{WHATSAPP_API_VERSION}/{WHATSAPP_PHONE_NUMBER_ID}/messages` with
`Authorization: Bearer {WHATSAPP_ACCESS_TOKEN}` and a `template` message (name, language
code, body parameters); the reply's `messages[0].id` (`wamid.…`) is what delivery-status
webhooks name later (shop/messaging/whatsapp_webhook.py). docs/notifications.md has the
sources."""

from django.conf import settings

from shop.messaging.backends import SendFailed, Sent
from shop.messaging.http import post_json
from shop.models import OutboundMessage

PRODUCTION_BASE_URL = "https://graph.facebook.com"


def base_url() -> str:
    """WHATSAPP_BASE_URL; else the simulator with simulators on; else Meta's Graph API."""
    if settings.WHATSAPP_BASE_URL:
        return settings.WHATSAPP_BASE_URL.rstrip("/")
    if settings.SIMULATORS_ENABLED:
        return settings.SITE_URL.rstrip("/") + "/sim/whatsapp"
    return PRODUCTION_BASE_URL


def messages_url() -> str:
    return (
        f"{base_url()}/{settings.WHATSAPP_API_VERSION}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
    )


def template_payload(message: OutboundMessage) -> dict:
    """The Cloud API body of a template message: `to` is the number without its "+"."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient.removeprefix("+"),
        "type": "template",
        "template": {
            "name": message.template,
            "language": {"code": message.language},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": str(value)} for value in message.params
                    ],
                }
            ],
        },
    }


def _error_of(body: dict) -> str:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return f"{error.get('code', '')} {error.get('message', 'no error message')}".strip()


def send(message: OutboundMessage) -> Sent:
    if not (settings.WHATSAPP_ACCESS_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID):
        raise SendFailed(
            "WhatsApp is not configured: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID."
        )
    if not message.template:
        raise SendFailed("a WhatsApp message needs an approved template")
    body = post_json(
        messages_url(),
        payload=template_payload(message),
        headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
        error_of=_error_of,
    )
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    first = messages[0] if messages and isinstance(messages[0], dict) else {}
    return Sent(external_id=str(first.get("id", ""))[:128])
