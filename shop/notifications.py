"""notify(): one way to tell a person something, in the app and by e-mail."""

import logging

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import transaction

from shop.models import Notification, NotificationLevel

logger = logging.getLogger(__name__)


def notify(
    *,
    user=None,
    email: str = "",
    title: str,
    message: str = "",
    level: str = NotificationLevel.INFO,
    data: dict | None = None,
) -> Notification | None:
    """Tell `user` (in the app, and by e-mail when they have an address), a guest at `email`
    (e-mail only), or staff when neither is given (in the app, and mail to ADMINS).

    E-mail leaves after the surrounding transaction commits, so a rolled-back change never
    sends one; a failing mail server is logged and never undoes the change.
    """
    notification = None
    if user is not None or not email:
        notification = Notification.objects.create(
            user=user, title=title, message=message, level=level, data=data or {}
        )
    recipient = email or (user.email if user is not None else "")
    if recipient:
        transaction.on_commit(lambda: _send(recipient, title, message))
    elif user is None:
        transaction.on_commit(lambda: _send_staff(title, message))
    return notification


def _send(recipient: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception:  # the notification is already stored; mail is best effort
        logger.exception("could not e-mail %s: %s", recipient, subject)


def _send_staff(subject: str, body: str) -> None:
    try:
        mail_admins(subject, body)
    except Exception:
        logger.exception("could not e-mail staff: %s", subject)
