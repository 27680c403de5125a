"""Reading a callback's body within the size cap, whatever framing the caller chose.

With a Content-Length the body is read through Django's request (never more than the cap
plus one byte, whatever the header claims). A chunked body (`Transfer-Encoding`, no
Content-Length) reaches a WSGI app with no length at all: Django would read it as empty. It
is read from `wsgi.input` only when the server says the stream ends where the body does
(`wsgi.input_terminated`, as gunicorn sets); otherwise (Django's runserver, a server that
passes the raw socket) reading could block, so it is refused with 411 Length Required.
"""

import hashlib
from dataclasses import dataclass

from django.http import HttpRequest

# A declared Content-Length is recorded as is, up to what the column holds.
MAX_RECORDED_SIZE = 2**31 - 1
_READ_CHUNK = 16 * 1024


@dataclass(frozen=True)
class CallbackBody:
    """What was read of a body: `raw` (at most the cap + 1 bytes), its `size` (declared or
    read, whichever is larger), and why it is refused before anything else, if it is."""

    raw: bytes
    size: int
    refusal: tuple[int, str, str] | None = None  # (HTTP status, code, message)

    @property
    def sha256(self) -> str:
        """The SHA-256 of the whole body; "" when it was not read whole (refused)."""
        return "" if self.refusal else hashlib.sha256(self.raw).hexdigest()


def read_callback_body(request: HttpRequest, *, cap: int) -> CallbackBody:
    """The body of `request`, read to at most `cap` + 1 bytes; a refusal (413 over the cap,
    411 for a chunked body the server does not end) is returned, never raised."""
    meta = request.META
    if meta.get("HTTP_TRANSFER_ENCODING"):  # chunked: a Content-Length, if any, is ignored
        if not meta.get("wsgi.input_terminated"):
            return CallbackBody(
                raw=b"",
                size=0,
                refusal=(
                    411,
                    "LENGTH_REQUIRED",
                    "Send the body with a Content-Length: this server cannot read a chunked "
                    "body to its end.",
                ),
            )
        raw = _read_at_most(meta["wsgi.input"], cap + 1)
        return CallbackBody(raw=raw, size=len(raw), refusal=_too_large(len(raw), cap))
    declared = _content_length(meta)
    raw = b"" if declared > cap else request.read(cap + 1)
    size = min(max(declared, len(raw)), MAX_RECORDED_SIZE)
    return CallbackBody(raw=raw, size=size, refusal=_too_large(size, cap))


def _too_large(size: int, cap: int) -> tuple[int, str, str] | None:
    if size > cap:
        return (413, "PAYLOAD_TOO_LARGE", f"The body exceeds {cap} bytes.")
    return None


def _read_at_most(stream, limit: int) -> bytes:
    """Up to `limit` bytes from a stream that ends (a server may hand over fewer per read)."""
    received = bytearray()
    while len(received) < limit:
        chunk = stream.read(min(_READ_CHUNK, limit - len(received)))
        if not chunk:
            break
        received += chunk
    return bytes(received)


def _content_length(meta: dict) -> int:
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0
