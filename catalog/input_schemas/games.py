"""The fields of the games with rules of their own: Mobile Legends, the HoYoverse games
(Genshin Impact, Honkai: Star Rail) and the Riot ID (docs/input-schemas.md has the sources)."""

from django.utils.translation import gettext, gettext_noop

from catalog.input_schemas.fields import (
    Choice,
    Field,
    FieldSpec,
    Invalid,
    choice,
    digits,
    digits_field,
    numeric_id,
)

# --- Mobile Legends ---------------------------------------------------------------------------
# The id and the zone show together in the profile as "12345678 (1234)".

ML_USER_ID = numeric_id(
    gettext_noop("User ID"),
    gettext_noop("Tap your avatar in Mobile Legends: the number before the brackets."),
    5,
    12,
)
ML_ZONE_ID = digits_field(
    "zone_id",
    gettext_noop("Zone ID"),
    gettext_noop("The number in brackets after your user ID, e.g. 1234."),
    1,
    6,
)

# --- Genshin Impact and Honkai: Star Rail -------------------------------------------------
# HoYoverse's global servers; a UID's leading digits name its server (the digits before the
# last eight: 6 America, 7 Europe, 8 and, for newer Genshin accounts, 18 Asia, 9 TW/HK/MO;
# 1, 2, 3 and 5 are mainland China). The values are Genshin's own region names, which VIP
# Reseller's get-nickname also takes (docs/input-schemas.md).

SERVER_ASIA, SERVER_AMERICA, SERVER_EUROPE, SERVER_TW_HK_MO = (
    "os_asia",
    "os_usa",
    "os_euro",
    "os_cht",
)
HOYOVERSE_SERVERS = (
    Choice(SERVER_ASIA, gettext_noop("Asia")),
    Choice(SERVER_AMERICA, gettext_noop("America")),
    Choice(SERVER_EUROPE, gettext_noop("Europe")),
    Choice(SERVER_TW_HK_MO, gettext_noop("TW, HK, MO")),
)
_SERVER_BY_UID_PREFIX = {
    "6": SERVER_AMERICA,
    "7": SERVER_EUROPE,
    "8": SERVER_ASIA,
    "18": SERVER_ASIA,
    "9": SERVER_TW_HK_MO,
}
_MAINLAND_UID_PREFIXES = frozenset({"1", "2", "3", "5"})


def server_of_uid(uid: str) -> str:
    """The global server a HoYoverse UID belongs to ("" when its digits name none)."""
    return _SERVER_BY_UID_PREFIX.get(uid[:-8], "")


def hoyoverse_uid(help_text: str) -> Field:
    label = gettext_noop("UID")
    nine_or_ten_digits = digits(label, 9, 10)

    def clean(value: str) -> str:
        uid = nine_or_ten_digits(value)
        if uid[:-8] in _MAINLAND_UID_PREFIXES:
            raise Invalid(
                gettext(
                    "This UID is on a mainland China server; we can only top up the global "
                    "servers (Asia, America, Europe, TW, HK, MO)."
                )
            )
        if not server_of_uid(uid):
            raise Invalid(gettext("This is not a UID of a global server. Check the UID."))
        return uid

    return Field(
        FieldSpec(
            name="user_id",
            label=label,
            help_text=help_text,
            input_mode="numeric",
            pattern="[0-9]{9,10}",
        ),
        clean,
    )


_SERVER_LABEL = gettext_noop("Server")
HOYOVERSE_SERVER = Field(
    FieldSpec(
        name="server",
        label=_SERVER_LABEL,
        help_text=gettext_noop(
            "The server of your UID: 6… America, 7… Europe, 8… or 18… Asia, 9… TW, HK, MO."
        ),
        input_mode="text",
        choices=HOYOVERSE_SERVERS,
    ),
    choice(_SERVER_LABEL, HOYOVERSE_SERVERS),
)


def uid_matches_server(fields: dict[str, str]) -> dict[str, str]:
    expected = server_of_uid(fields["user_id"])
    if expected == fields["server"]:
        return {}
    label = next(choice.label for choice in HOYOVERSE_SERVERS if choice.value == expected)
    return {
        "server": gettext(
            "This UID is on the %(server)s server: choose %(server)s, or check the UID."
        )
        % {"server": gettext(label)}
    }


# --- Riot ID (Valorant) -----------------------------------------------------------------------
# Riot: a game name of 3-16 letters or digits (spaces allowed inside), "#", a tagline of 3-5
# letters or digits (docs/input-schemas.md has the source).

RIOT_NAME_LENGTH = (3, 16)
RIOT_TAG_LENGTH = (3, 5)


def _clean_riot_id(value: str) -> str:
    name, hash_sign, tag = value.partition("#")
    name, tag = name.strip(), tag.strip()
    if not hash_sign or "#" in tag:
        raise Invalid(gettext("Enter your Riot ID as name#tag, e.g. Player#1234."))
    if not RIOT_NAME_LENGTH[0] <= len(name) <= RIOT_NAME_LENGTH[1] or not all(
        char.isalnum() or char == " " for char in name
    ):
        raise Invalid(
            gettext("The name before # must be 3 to 16 letters or digits (spaces allowed).")
        )
    if not RIOT_TAG_LENGTH[0] <= len(tag) <= RIOT_TAG_LENGTH[1] or not tag.isalnum():
        raise Invalid(gettext("The tag after # must be 3 to 5 letters or digits."))
    return f"{name}#{tag}"


RIOT_ID = Field(
    FieldSpec(
        name="riot_id",
        label=gettext_noop("Riot ID"),
        help_text=gettext_noop(
            "Your Riot ID with its tag, as the Riot client shows it, e.g. Player#1234."
        ),
        input_mode="text",
        pattern="[^#]{3,18}#[^#]{3,7}",
    ),
    _clean_riot_id,
)
