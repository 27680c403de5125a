"""The e-mail backend: Django's mail (SMTP in production, logged in `make run`)."""

import smtplib

from django.conf import settings
from django.core.mail import mail_admins, send_mail

from shop.messaging.backends import RetryLater, SendFailed, Sent
from shop.models import OutboundMessage


def send(message: OutboundMessage) -> Sent:
    """To `message.recipient`, or to ADMINS when it is empty (a staff notice)."""
    try:
        if message.recipient:
            send_mail(
                message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient]
            )
        else:
            mail_admins(message.subject, message.body)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendFailed(f"the mail server refused the recipient: {exc}") from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise RetryLater(f"{type(exc).__name__}: {exc}") from None
    return Sent()
