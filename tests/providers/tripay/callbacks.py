"""Captures the callbacks a payment simulator sends (its `requests.post`), for assertions."""

from dataclasses import dataclass, field
from types import SimpleNamespace


@dataclass
class SentCallback:
    url: str
    body: bytes
    headers: dict
    timeout: float | None


@dataclass
class CallbackCapture:
    sent: list[SentCallback] = field(default_factory=list)
    reply_status: int = 200

    def post(self, url, data=None, headers=None, timeout=None, **kwargs):
        self.sent.append(SentCallback(url, data, dict(headers or {}), timeout))
        return SimpleNamespace(status_code=self.reply_status, content=b'{"success":true}')

    @property
    def only(self) -> SentCallback:
        assert len(self.sent) == 1, f"expected one callback, got {len(self.sent)}"
        return self.sent[0]


def capture_callbacks(monkeypatch) -> CallbackCapture:
    """Replace `requests.post` as the simulators call it; the test's own HTTP calls use
    `requests.request`/`requests.get` and the adapter's session, which stay real."""
    from providers.tripay import simulator_checkout

    capture = CallbackCapture()
    monkeypatch.setattr(simulator_checkout.requests, "post", capture.post)
    return capture
