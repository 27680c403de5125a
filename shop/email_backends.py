"""The e-mail backend of a shop without SMTP (`EMAIL_URL` unset): every message is logged.

Django's console backend prints to stdout; a Celery worker turns a print into a WARNING of
`celery.redirected`. This backend writes each message, whole (headers and body, so a
password-reset link can be followed), as one INFO record of the `shop.email` logger, the
same from web and worker.
"""

import io
import logging

from django.core.mail.backends import console

logger = logging.getLogger("shop.email")


class LoggingEmailBackend(console.EmailBackend):
    """Django's console backend, writing to the `shop.email` logger instead of stdout."""

    def write_message(self, message):
        rendered = io.StringIO()
        self.stream, stdout = rendered, self.stream
        try:
            super().write_message(message)
        finally:
            self.stream = stdout
        logger.info(
            "E-mail to %s: %s\n%s",
            ", ".join(message.recipients()),
            message.subject,
            rendered.getvalue(),
        )
