"""Shared by the messaging tests: the simulators on the live server, and the outbox read."""

import pytest

from shop.models import MessageChannel, OutboundMessage, SimulatedMessage


@pytest.fixture
def simulators(live_server, settings):
    """WhatsApp and Telegram talk to their simulators on this test's live server, and the
    WhatsApp simulator posts its status webhooks back there."""
    settings.WHATSAPP_BASE_URL = f"{live_server.url}/sim/whatsapp"
    settings.TELEGRAM_BASE_URL = f"{live_server.url}/sim/telegram"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    # A read timeout means "outcome unknown" (failed, never resent): on a loaded test
    # machine the live server's first replies can take longer than the suite's 1.5 s.
    settings.PROVIDER_READ_TIMEOUT = 15
    return live_server


def inbox(channel: str, recipient: str = "") -> list[SimulatedMessage]:
    messages = SimulatedMessage.objects.filter(channel=channel)
    if recipient:
        messages = messages.filter(recipient=recipient)
    return list(messages.order_by("pk"))


def whatsapp_inbox(number: str = "") -> list[SimulatedMessage]:
    """`number` in E.164 (+62…) as the shop stores it; the API's `to` has no "+"."""
    return inbox(MessageChannel.WHATSAPP, number.removeprefix("+"))


def outbox(**filters) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(**filters).order_by("pk"))
