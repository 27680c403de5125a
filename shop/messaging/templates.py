"""The WhatsApp templates the shop sends, as approved in WhatsApp Manager (category
UTILITY), in English (`en`) and Indonesian (`id`).

A business may start a WhatsApp conversation only with an approved template: the text
below is what is submitted for approval (one per language, the Indonesian one from the
catalog in locale/), and the simulator renders it the same way. A parameter may hold no
line break (the Cloud API refuses one), so lists are joined with " · ".
"""

import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "id")

TEMPLATES = {
    "order_needs_payment": _(
        "Your order {{1}} ({{2}}, {{3}}) is waiting for your payment until {{4}}. "
        "Pay or check it here: {{5}}"
    ),
    "order_paid": _(
        "We received your payment of {{3}} for order {{1}} ({{2}}). We are processing it "
        "now. Your order: {{4}}"
    ),
    "order_delivered": _("Your order {{1}} is complete: {{2}} for {{3}}. {{4}} Your order: {{5}}"),
    "order_refunded": _("Your order {{1}} ({{2}}) failed. {{3}} Your order: {{4}}"),
    "phone_verification": _(
        "{{1}} is your verification code for the shop. It expires in 10 minutes."
    ),
}

_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
_NO_BREAKS = re.compile(r"[\r\n\t]+| {4,}")


@dataclass(frozen=True)
class WhatsAppTemplate:
    """A template message to send: its name, language code and body parameters."""

    name: str
    language: str
    params: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.name not in TEMPLATES:
            raise ValueError(f"no WhatsApp template named {self.name!r}")
        if self.language not in LANGUAGES:
            object.__setattr__(self, "language", LANGUAGES[0])
        object.__setattr__(
            self, "params", [_NO_BREAKS.sub(" · ", str(value)).strip() for value in self.params]
        )


def template_language(language: str) -> str:
    """The template language for a site language ("id-id" → "id"; unknown → "en")."""
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else LANGUAGES[0]


def template_render(name: str, language: str, params: list[str]) -> str:
    """The text WhatsApp shows for template `name` in `language` with `params`; "" for an
    unknown template. A placeholder without its parameter stays as it is."""
    if name not in TEMPLATES:
        return ""
    with translation.override(template_language(language)):
        text = str(TEMPLATES[name])

    def fill(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        return str(params[index]) if 0 <= index < len(params) else match.group(0)

    return _PLACEHOLDER.sub(fill, text)
