"""The WhatsApp Business Cloud API, simulated (SIMULATORS_ENABLED only), at /sim/whatsapp/.

`POST /sim/whatsapp/<version>/<phone-number-id>/messages` answers as the Cloud API does:
Bearer token checked (401, OAuthException 190), the phone number id checked (400, code
100), template messages only, the template and its parameters checked (400, 132001 /
132000). The rendered text is kept (SimulatedMessage) for the demo and the tests, and the
delivery statuses (sent, delivered, read) are posted back later, signed with the app
secret, to the shop's webhook (`whatsapp_simulator_send_statuses`, from the simulators'
tick). Scenarios by the recipient number's last two digits:

    93  accepted, then a `failed` status (131026: the number is not on WhatsApp)
    94  slow: accepted at once, the reply comes after SIMULATOR_SLOW_SECONDS
    95  HTTP 500 (nothing accepted)
    96  HTTP 429 with Retry-After (130429: rate limit hit; nothing accepted)
"""

import json
import logging
import re
import secrets
import time

import requests
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.messaging.templates import LANGUAGES, TEMPLATES, template_render
from shop.messaging.whatsapp_webhook import whatsapp_signature
from shop.models import MessageChannel, SimulatedMessage

logger = logging.getLogger(__name__)

RATE_LIMIT_RETRY_AFTER = 2


def _error(status: int, code: int, message: str, kind: str = "OAuthException") -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "message": message,
                "type": kind,
                "code": code,
                "fbtrace_id": secrets.token_urlsafe(12),
            }
        },
        status=status,
    )


def _placeholders(name: str) -> int:
    return len(set(re.findall(r"\{\{(\d+)\}\}", str(TEMPLATES[name]))))


@csrf_exempt
@require_POST
def messages(request: HttpRequest, version: str, phone_number_id: str) -> JsonResponse:
    if request.headers.get("Authorization", "") != f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}":
        return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
    if phone_number_id != settings.WHATSAPP_PHONE_NUMBER_ID:
        return _error(400, 100, f"Unsupported post request. Object with ID '{phone_number_id}'")
    try:
        body = json.loads(request.body)
        to = str(body["to"])
        template = body["template"]
        name, language = template["name"], template["language"]["code"]
        parameters = [
            str(p["text"])
            for component in template.get("components", [])
            if component.get("type") == "body"
            for p in component.get("parameters", [])
        ]
        well_formed = body["messaging_product"] == "whatsapp" and body["type"] == "template"
    except (ValueError, KeyError, TypeError, AttributeError):
        well_formed = False
    if not well_formed or not to.isdigit():
        return _error(400, 100, "Invalid parameter", kind="OAuthException")
    if name not in TEMPLATES or language not in LANGUAGES:
        return _error(400, 132001, "Template name does not exist in the translation")
    if len(parameters) != _placeholders(name):
        return _error(
            400, 132000, "Number of parameters does not match the expected number of params"
        )
    scenario = to[-2:]
    if scenario == "95":
        return _error(500, 1, "An unknown error occurred", kind="OAuthException")
    if scenario == "96":
        response = _error(429, 130429, "Rate limit hit", kind="OAuthException")
        response["Retry-After"] = str(RATE_LIMIT_RETRY_AFTER)
        return response
    wamid = "wamid." + secrets.token_urlsafe(24)
    SimulatedMessage.objects.create(
        channel=MessageChannel.WHATSAPP,
        external_id=wamid,
        recipient=to,
        payload=body,
        text=template_render(name, language, parameters),
        statuses_due=["sent", "failed"] if scenario == "93" else ["sent", "delivered", "read"],
    )
    if scenario == "94":  # taken, as a real API would have, before the reply is late
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)
    return JsonResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid, "message_status": "accepted"}],
        }
    )


def status_payload(message: SimulatedMessage, status: str) -> dict:
    """A status webhook body as the Cloud API sends it."""
    item = {
        "id": message.external_id,
        "status": status,
        "timestamp": str(int(timezone.now().timestamp())),
        "recipient_id": message.recipient,
    }
    if status == "failed":
        item["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "simulated-waba",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": settings.WHATSAPP_PHONE_NUMBER_ID,
                            },
                            "statuses": [item],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_simulator_send_statuses() -> int:
    """Post the delivery statuses of every message that has some due, signed like Meta's;
    a message's statuses are taken once (a conditional UPDATE), sent or not. Returns how
    many were posted."""
    url = settings.SIMULATOR_CALLBACK_BASE_URL.rstrip("/") + reverse("webhook-whatsapp")
    posted = 0
    due = SimulatedMessage.objects.filter(
        channel=MessageChannel.WHATSAPP, statuses_sent_at__isnull=True
    ).exclude(statuses_due=[])
    for message in due[:100]:
        taken = SimulatedMessage.objects.filter(
            pk=message.pk, statuses_sent_at__isnull=True
        ).update(statuses_sent_at=timezone.now())
        if not taken:
            continue
        for status in message.statuses_due:
            body = json.dumps(status_payload(message, status)).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": whatsapp_signature(body, settings.WHATSAPP_APP_SECRET),
            }
            try:
                requests.post(url, data=body, headers=headers, timeout=5)
                posted += 1
            except requests.RequestException as exc:
                logger.warning("WhatsApp simulator: status webhook not sent: %s", exc)
    return posted
