"""Where a signed-in buyer hears about their orders: e-mail, or a WhatsApp number they
proved is theirs. Codes go only to a verified channel, so a number is verified first: a
six-digit code is sent there (WhatsApp template `phone_verification`) and typed back.

The pending code lives in the cache (hashed, 10 minutes, 5 tries), keyed by the user; a
new code replaces the old one. Sending codes is rate-limited per user.
"""

import hashlib
import hmac
import secrets
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop

from shop.errors import ApplicationError
from shop.messaging.outbox import message_record
from shop.messaging.templates import template_language
from shop.models import MessageChannel
from shop.phones import InvalidPhone, indonesian_mobile_e164
from shop.ratelimit import rate_limit_hit

CODE_SECONDS = 10 * 60
MAX_TRIES = 5
CODES_PER_HOUR = 5


def _key(user) -> str:
    return f"whatsapp-verification:{user.pk}"


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def whatsapp_verification_start(*, user, number: str) -> str:
    """Send a verification code to `number` (normalised to E.164, returned); the number
    becomes the user's only once the code comes back (`whatsapp_verification_confirm`).
    ApplicationError `invalid_phone` or `rate_limited`."""
    try:
        number = indonesian_mobile_e164(number)
    except InvalidPhone as exc:
        raise ApplicationError(exc.message, code="invalid_phone") from None
    if not rate_limit_hit(
        key=f"whatsapp-verify:{user.pk}", limit=CODES_PER_HOUR, period=3600
    ).allowed:
        raise ApplicationError(
            gettext_noop("Too many codes asked for. Please try again later."),
            code="rate_limited",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key(user), {"number": number, "digest": _digest(code), "tries": 0}, CODE_SECONDS)
    with transaction.atomic():
        message_record(
            event_key=f"verify:{user.pk}:{uuid.uuid4().hex}",
            channel=MessageChannel.WHATSAPP,
            recipient=number,
            template="phone_verification",
            language=template_language(get_language() or ""),
            params=[code],
            confidential=True,
        )
    return number


def whatsapp_verification_pending(*, user) -> str:
    """The number waiting for its code, or ""."""
    pending = cache.get(_key(user))
    return pending["number"] if pending else ""


@transaction.atomic
def whatsapp_verification_confirm(*, user, code: str):
    """The code sent to the pending number: the number is the user's, verified, and their
    messages go there. ApplicationError `no_code` (none pending or expired) or
    `wrong_code` (after MAX_TRIES the code is dropped)."""
    pending = cache.get(_key(user))
    if not pending:
        raise ApplicationError(
            gettext_noop("No code is waiting: ask for a new one."), code="no_code"
        )
    if not hmac.compare_digest(pending["digest"], _digest(code.strip())):
        pending["tries"] += 1
        if pending["tries"] >= MAX_TRIES:
            cache.delete(_key(user))
        else:
            cache.set(_key(user), pending, CODE_SECONDS)
        raise ApplicationError(gettext_noop("That code is not right."), code="wrong_code")
    cache.delete(_key(user))
    user.whatsapp_number = pending["number"]
    user.whatsapp_verified_at = timezone.now()
    user.notify_channel = MessageChannel.WHATSAPP
    user.save(update_fields=["whatsapp_number", "whatsapp_verified_at", "notify_channel"])
    return user


@transaction.atomic
def message_channel_set(*, user, channel: str):
    """Choose e-mail or WhatsApp; WhatsApp only with a verified number."""
    if channel == MessageChannel.WHATSAPP and not (
        user.whatsapp_number and user.whatsapp_verified_at
    ):
        raise ApplicationError(gettext_noop("Verify a WhatsApp number first."), code="not_verified")
    if channel not in (MessageChannel.EMAIL, MessageChannel.WHATSAPP):
        raise ApplicationError(gettext_noop("Choose e-mail or WhatsApp."), code="bad_channel")
    user.notify_channel = channel
    user.save(update_fields=["notify_channel"])
    return user
