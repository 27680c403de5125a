"""notify(): one way to tell a person something: in the app, and through the outbox
(shop/messaging/outbox.py) by e-mail, WhatsApp or Telegram."""

import uuid

from shop.messaging.outbox import message_record
from shop.messaging.templates import WhatsAppTemplate
from shop.models import (
    MessageChannel,
    Notification,
    NotificationLevel,
    StaffAlertKind,
    StaffAlertRoute,
)


def notify(
    *,
    user=None,
    email: str = "",
    title: str,
    message: str = "",
    level: str = NotificationLevel.INFO,
    data: dict | None = None,
    phone: str = "",
    whatsapp: WhatsAppTemplate | None = None,
    event_key: str = "",
    alert: str = "",
    confidential: bool = False,
) -> Notification | None:
    """Tell `user` (in the app, and on their channel), a guest at `email` and/or `phone`
    (no in-app notice), or staff when none is given (in the app, mail to ADMINS, and the
    Telegram chats routed for `alert`, "other" when not given).

    A user's channel is WhatsApp when they chose it, their number is verified and there is
    a `whatsapp` template for this message; e-mail otherwise. A guest's `phone` (E.164)
    gets the `whatsapp` template. Staff chats get staff notices, and a user's notice only
    with an `alert` kind (the finance group's), never a `confidential` one (voucher codes).

    Each message is one outbox row per (`event_key`, channel, recipient), written in this
    transaction and sent after commit; a call with the same `event_key` sends nothing new
    (without one, every call is its own event). A failing channel never undoes the change.
    """
    key = event_key or f"notice:{uuid.uuid4().hex}"
    staff = user is None and not email and not phone
    notification = None
    if user is not None or staff:
        notification = Notification.objects.create(
            user=user, title=title, message=message, level=level, data=data or {}
        )
    mail = {"subject": title, "body": message, "confidential": confidential}
    if staff:
        message_record(event_key=key, channel=MessageChannel.EMAIL, recipient="", **mail)
    if (staff or alert) and not confidential:
        alert = alert or StaffAlertKind.OTHER
        _alert_staff_chats(key=key, alert=alert, title=title, message=message)
    if user is not None:
        if whatsapp is not None and _prefers_whatsapp(user):
            _record_whatsapp(key, user.whatsapp_number, whatsapp, confidential)
        elif user.email:
            message_record(
                event_key=key, channel=MessageChannel.EMAIL, recipient=user.email, **mail
            )
        return notification
    if email:
        message_record(event_key=key, channel=MessageChannel.EMAIL, recipient=email, **mail)
    if phone and whatsapp is not None:
        _record_whatsapp(key, phone, whatsapp, confidential)
    return notification


def _prefers_whatsapp(user) -> bool:
    return bool(
        getattr(user, "notify_channel", "") == MessageChannel.WHATSAPP
        and user.whatsapp_number
        and user.whatsapp_verified_at
    )


def _record_whatsapp(key: str, number: str, template: WhatsAppTemplate, confidential: bool):
    message_record(
        event_key=key,
        channel=MessageChannel.WHATSAPP,
        recipient=number,
        template=template.name,
        language=template.language,
        params=template.params,
        confidential=confidential,
    )


def _alert_staff_chats(*, key: str, alert: str, title: str, message: str) -> None:
    """One Telegram message per chat routed for `alert` (the same event key for every
    user told, so a chat gets it once)."""
    chats = StaffAlertRoute.objects.filter(kind=alert, active=True).values_list(
        "chat_id", flat=True
    )
    for chat_id in chats:
        message_record(
            event_key=key,
            channel=MessageChannel.TELEGRAM,
            recipient=chat_id,
            subject=title,
            body=message,
            alert_kind=alert,
        )
