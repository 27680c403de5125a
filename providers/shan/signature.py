"""The Shan provider's callback signature: HMAC-MD5 over PHP's `json_encode` of the body
without `signature`, top-level keys sorted (`ksort`, not recursive).

The signed string is rebuilt from the raw body's own tokens: numbers keep the exact text
they arrived with (never a round trip through float), strings are re-encoded the way PHP
does by default (`/` as `\\/`, non-ASCII as lowercase `\\uXXXX`), and no spaces.
"""

import hashlib
import hmac
import json


class RawNumber(str):
    """A JSON number kept as the text it arrived with."""


class ShanBodyError(ValueError):
    """The body is not a JSON object this rule can sign."""


def parse_preserving_numbers(raw: bytes) -> dict:
    try:
        body = json.loads(raw, parse_float=RawNumber, parse_int=RawNumber)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ShanBodyError(f"malformed JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ShanBodyError("the body must be a JSON object")
    return body


_PHP_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_PHP_ESCAPES |= {"\r": "\\r", "\t": "\\t"}


def _php_string(value: str) -> str:
    out = ['"']
    for char in value:
        if char in _PHP_ESCAPES:
            out.append(_PHP_ESCAPES[char])
        elif " " <= char <= "~":
            out.append(char)
        else:
            encoded = char.encode("utf-16-be")  # code points above U+FFFF become surrogates
            for index in range(0, len(encoded), 2):
                out.append(f"\\u{int.from_bytes(encoded[index : index + 2], 'big'):04x}")
    out.append('"')
    return "".join(out)


def php_json_encode(value) -> str:
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return _php_string(value)
    if isinstance(value, list):
        return "[" + ",".join(php_json_encode(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_php_string(str(key))}:{php_json_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    raise ShanBodyError(f"cannot encode {type(value).__name__}")


def signed_string(body: dict) -> str:
    """What the provider signed: the body without `signature`, top-level keys sorted."""
    unsigned = {key: body[key] for key in sorted(body) if key != "signature"}
    return php_json_encode(unsigned)


def sign(secret: str, body: dict, signed: str | None = None) -> str:
    """The signature of `body` (`signed`: its `signed_string`, when already built)."""
    signed = signed_string(body) if signed is None else signed
    return hmac.new(secret.encode(), signed.encode(), hashlib.md5).hexdigest()


def verify(secret: str, body: dict, signed: str | None = None) -> bool:
    """Constant-time check of the body's own `signature` field (`signed`: see `sign`)."""
    given = body.get("signature")
    if not isinstance(given, str) or not secret:
        return False
    return hmac.compare_digest(sign(secret, body, signed), given.lower())


def signed_body(secret: str, payload: dict) -> bytes:
    """A callback body exactly as the provider sends it: keys sorted, `signature` last."""
    unsigned = {key: payload[key] for key in sorted(payload) if key != "signature"}
    encoded = php_json_encode(unsigned)
    signature = hmac.new(secret.encode(), encoded.encode(), hashlib.md5).hexdigest()
    return (encoded[:-1] + f',"signature":"{signature}"' + "}").encode()
