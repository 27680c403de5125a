"""The Telegram Bot API, simulated (SIMULATORS_ENABLED only), at /sim/telegram/.

`POST /sim/telegram/bot<token>/sendMessage` (JSON or form) answers as the Bot API does:
`{"ok": true, "result": {message_id, chat, date, text}}`; a wrong token → 401
`{"ok": false, "error_code": 401, "description": "Unauthorized"}`; no `chat_id` or `text`
→ 400; an unknown `parse_mode` → 400. Scenarios by the chat id's last two digits:

    95  HTTP 500
    96  HTTP 429, `parameters.retry_after` (and no Retry-After header, as Telegram does)
    04  HTTP 403 "Forbidden: bot was blocked by the user"
"""

import json
import re

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.models import MessageChannel, SimulatedMessage

RATE_LIMIT_RETRY_AFTER = 3
_TAGS = re.compile(r"<[^>]+>")


def _error(status: int, description: str, **extra) -> JsonResponse:
    return JsonResponse(
        {"ok": False, "error_code": status, "description": description, **extra}, status=status
    )


@csrf_exempt
@require_POST
def send_message(request: HttpRequest, token: str) -> JsonResponse:
    if token != settings.TELEGRAM_BOT_TOKEN:
        return _error(401, "Unauthorized")
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body)
        except ValueError:
            return _error(400, "Bad Request: can't parse JSON")
    else:
        data = request.POST.dict()
    if not isinstance(data, dict):
        return _error(400, "Bad Request: can't parse JSON")
    chat_id, text = str(data.get("chat_id", "")), str(data.get("text", ""))
    if not chat_id:
        return _error(400, "Bad Request: chat_id is empty")
    if not text:
        return _error(400, "Bad Request: message text is empty")
    if data.get("parse_mode", "") not in ("", "HTML", "Markdown", "MarkdownV2"):
        return _error(400, "Bad Request: unsupported parse_mode")
    scenario = chat_id[-2:]
    if scenario == "95":
        return _error(500, "Internal Server Error")
    if scenario == "96":
        return _error(
            429,
            f"Too Many Requests: retry after {RATE_LIMIT_RETRY_AFTER}",
            parameters={"retry_after": RATE_LIMIT_RETRY_AFTER},
        )
    if scenario == "04":
        return _error(403, "Forbidden: bot was blocked by the user")
    message = SimulatedMessage.objects.create(
        channel=MessageChannel.TELEGRAM,
        external_id=f"tg-{SimulatedMessage.objects.count() + 1}-{timezone.now().timestamp()}",
        recipient=chat_id,
        payload=data,
        text=_TAGS.sub("", text) if data.get("parse_mode") == "HTML" else text,
    )
    return JsonResponse(
        {
            "ok": True,
            "result": {
                "message_id": message.pk,
                "date": int(message.received_at.timestamp()),
                "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id},
                "text": message.text,
            },
        }
    )
