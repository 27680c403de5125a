"""What a channel backend promises, and the registry of backends by channel."""

from dataclasses import dataclass

from shop.models import MessageChannel, OutboundMessage


@dataclass(frozen=True)
class Sent:
    """The channel took the message; `external_id` is its id for it (or "")."""

    external_id: str = ""


class RetryLater(Exception):
    """The channel said "not now" (429, 5xx, no connection): nothing was sent, try again.
    `after` is the seconds the channel asked to wait (Retry-After), None when it did not."""

    def __init__(self, reason: str, *, after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.after = after


class SendFailed(Exception):
    """The channel refused the message for good (a 4xx other than 429, bad settings): a
    retry would be refused the same way."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def send(message: OutboundMessage) -> Sent:
    """Send `message` through its channel's backend: Sent, or RetryLater / SendFailed."""
    from shop.messaging import email, telegram, whatsapp  # the backends import this module

    backends = {
        MessageChannel.EMAIL: email.send,
        MessageChannel.WHATSAPP: whatsapp.send,
        MessageChannel.TELEGRAM: telegram.send,
    }
    return backends[message.channel](message)
