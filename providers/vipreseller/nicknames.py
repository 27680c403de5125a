"""VIP Reseller's get-nickname: which shop brands it checks (by VIP's game code) and how its
answer reads (docs/providers/vipreseller.md#account-check-get-nickname)."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NicknameGame:
    """A game VIP's get-nickname checks: its code, and which field goes in
    `additional_target` ("" when the game has none)."""

    code: str
    additional_field: str = ""


# Shop brand names (normalized: see `brand_key`) → VIP's get-nickname game code. Codes from
# public client code listing VIP's supported games (docs/providers/vipreseller.md).
NICKNAME_GAMES: dict[str, NicknameGame] = {
    "mobile legends": NicknameGame("mobile-legends", "zone_id"),
    "mobile legends bang bang": NicknameGame("mobile-legends", "zone_id"),
    "mlbb": NicknameGame("mobile-legends", "zone_id"),
    "free fire": NicknameGame("free-fire"),
    "free fire max": NicknameGame("free-fire-max"),
    "pubg mobile": NicknameGame("pubgm"),
    "pubgm": NicknameGame("pubgm"),
    "genshin impact": NicknameGame("genshin-impact", "server"),
    "valorant": NicknameGame("valorant"),
    "call of duty mobile": NicknameGame("call-of-duty-mobile"),
    "codm": NicknameGame("call-of-duty-mobile"),
    "league of legends wild rift": NicknameGame("league-of-legends-wild-rift"),
    "wild rift": NicknameGame("league-of-legends-wild-rift"),
    "arena of valor": NicknameGame("arena-of-valor"),
    "higgs domino": NicknameGame("higgs-domino"),
    "point blank": NicknameGame("point-blank"),
    "dragon raja": NicknameGame("dragon-raja"),
    "hago": NicknameGame("hago"),
    "zepeto": NicknameGame("zepeto"),
    "lords mobile": NicknameGame("lords-mobile"),
    "marvel super war": NicknameGame("marvel-super-war"),
    "speed drifters": NicknameGame("speed-drifters"),
    "laplace m": NicknameGame("laplace-m"),
    "tom and jerry chase": NicknameGame("tom-and-jerry-chase"),
    "indoplay": NicknameGame("indoplay"),
}

# A refusal naming the account as unknown; one naming our credentials or balance is not
# the buyer's wrong id.
_NOT_FOUND_WORDS = ("tidak ditemukan", "not found", "tidak valid", "invalid", "salah")
_CREDENTIAL_WORDS = ("sign", "key", "api", "ip ", "saldo")


def brand_key(name: str) -> str:
    """A brand name compared case- and punctuation-insensitively ("MOBILE LEGENDS",
    "Mobile Legends: Bang Bang" and "mobile-legends" → "mobile legends[ bang bang]")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())


def says_not_found(message: str) -> bool:
    """Whether a get-nickname refusal says the account does not exist."""
    lowered = message.lower()
    return any(word in lowered for word in _NOT_FOUND_WORDS) and not any(
        word in lowered for word in _CREDENTIAL_WORDS
    )


def nickname_of(data) -> str:
    """The name in get-nickname's `data`: a string as documented, or (as some public client
    code reads it) an object with `nickname`, `username` or `name`."""
    if isinstance(data, dict):
        data = data.get("nickname") or data.get("username") or data.get("name")
    return str(data).strip() if isinstance(data, str | int) else ""
