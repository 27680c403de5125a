"""The games' own input schemas: each game's fields, checks, edge cases and choices."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from catalog.input_schemas import (
    CustomerInput,
    schema_fields,
    schema_instructions,
    server_of_uid,
    validate_customer_input,
)
from catalog.models import InputSchema

REQUIRED = "This field is required."
GAME_SCHEMAS = [
    InputSchema.MOBILE_LEGENDS,
    InputSchema.FREE_FIRE,
    InputSchema.PUBG_MOBILE,
    InputSchema.GENSHIN_IMPACT,
    InputSchema.HONKAI_STAR_RAIL,
    InputSchema.RIOT_ID,
    InputSchema.CALL_OF_DUTY_MOBILE,
    InputSchema.HONOR_OF_KINGS,
]


def _valid(schema, **data) -> CustomerInput:
    return validate_customer_input(schema=schema, data=data)


def _errors(schema, **data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_customer_input(schema=schema, data=data)
    return caught.value.message_dict


# Mobile Legends


def test_mobile_legends_keeps_user_and_zone_apart_and_joins_them_for_the_order():
    cleaned = _valid(InputSchema.MOBILE_LEGENDS, user_id=" 109088431 ", zone_id="2558")

    assert cleaned == CustomerInput(
        fields={"user_id": "109088431", "zone_id": "2558"}, customer_no="109088431-2558"
    )


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"user_id": "1234", "zone_id": "2558"},
            {"user_id": ["User ID must be 5 to 12 digits long."]},
        ),
        (
            {"user_id": "1" * 13, "zone_id": "2558"},
            {"user_id": ["User ID must be 5 to 12 digits long."]},
        ),
        (
            {"user_id": "10908843", "zone_id": "1234567"},
            {"zone_id": ["Zone ID must be 1 to 6 digits long."]},
        ),
        (
            {"user_id": "10908843", "zone_id": "(2558)"},
            {"zone_id": ["Zone ID must contain digits only."]},
        ),
        ({"user_id": "10908843"}, {"zone_id": [REQUIRED]}),
    ],
)
def test_mobile_legends_refuses_a_bad_user_or_zone(data, errors):
    assert _errors(InputSchema.MOBILE_LEGENDS, **data) == errors


def test_mobile_legends_accepts_the_shortest_and_longest_ids():
    assert _valid(InputSchema.MOBILE_LEGENDS, user_id="12345", zone_id="1").customer_no == "12345-1"
    long_id = "1" * 12
    assert _valid(InputSchema.MOBILE_LEGENDS, user_id=long_id, zone_id="123456").fields == {
        "user_id": long_id,
        "zone_id": "123456",
    }


# One numeric id: Free Fire, PUBG Mobile, Call of Duty Mobile, Honor of Kings


@pytest.mark.parametrize(
    ("schema", "label", "shortest", "longest"),
    [
        (InputSchema.FREE_FIRE, "Player ID", 6, 12),
        (InputSchema.PUBG_MOBILE, "Character ID", 6, 12),
        (InputSchema.CALL_OF_DUTY_MOBILE, "Player ID (Open ID)", 6, 20),
        (InputSchema.HONOR_OF_KINGS, "Player ID", 6, 20),
    ],
)
def test_a_numeric_player_id_has_its_game_s_label_and_length(schema, label, shortest, longest):
    (spec,) = schema_fields(schema)
    assert (spec.name, spec.label, spec.input_mode) == ("user_id", label, "numeric")
    assert spec.pattern == f"[0-9]{{{shortest},{longest}}}"
    for length in (shortest, longest):
        assert _valid(schema, user_id="7" * length).customer_no == "7" * length
    length_error = f"{label} must be {shortest} to {longest} digits long."
    assert _errors(schema, user_id="7" * (shortest - 1)) == {"user_id": [length_error]}
    assert _errors(schema, user_id="7" * (longest + 1)) == {"user_id": [length_error]}
    assert _errors(schema, user_id="51234abc") == {
        "user_id": [f"{label} must contain digits only."]
    }
    assert _errors(
        schema, user_id="\uff15\uff11\uff12\uff13\uff14\uff15\uff16\uff17"
    ) == {  # full-width digits
        "user_id": [f"{label} must contain digits only."]
    }
    assert _errors(schema) == {"user_id": [REQUIRED]}


# Genshin Impact and Honkai: Star Rail


@pytest.mark.parametrize("schema", [InputSchema.GENSHIN_IMPACT, InputSchema.HONKAI_STAR_RAIL])
def test_a_hoyoverse_game_asks_for_the_uid_and_a_server_from_a_list(schema):
    uid, server = schema_fields(schema)

    assert (uid.name, uid.label, uid.choices) == ("user_id", "UID", ())
    assert server.name == "server"
    assert [(choice.value, choice.label) for choice in server.choices] == [
        ("os_asia", "Asia"),
        ("os_usa", "America"),
        ("os_euro", "Europe"),
        ("os_cht", "TW, HK, MO"),
    ]


@pytest.mark.parametrize(
    ("uid", "server"),
    [
        ("612345678", "os_usa"),
        ("712345678", "os_euro"),
        ("812345678", "os_asia"),
        ("1812345678", "os_asia"),  # newer Asia UIDs have ten digits
        ("912345678", "os_cht"),
    ],
)
def test_a_uid_on_its_own_server_is_accepted(uid, server):
    assert server_of_uid(uid) == server
    cleaned = _valid(InputSchema.GENSHIN_IMPACT, user_id=uid, server=server)

    assert cleaned == CustomerInput(
        fields={"user_id": uid, "server": server}, customer_no=f"{uid}-{server}"
    )


def test_a_uid_and_a_server_that_disagree_are_refused_at_the_server_field():
    assert _errors(InputSchema.GENSHIN_IMPACT, user_id="812345678", server="os_usa") == {
        "server": ["This UID is on the Asia server: choose Asia, or check the UID."]
    }
    assert _errors(InputSchema.HONKAI_STAR_RAIL, user_id="712345678", server="os_asia") == {
        "server": ["This UID is on the Europe server: choose Europe, or check the UID."]
    }


@pytest.mark.parametrize("uid", ["112345678", "212345678", "312345678", "512345678"])
def test_a_mainland_china_uid_is_refused(uid):
    assert _errors(InputSchema.GENSHIN_IMPACT, user_id=uid, server="os_asia") == {
        "user_id": [
            "This UID is on a mainland China server; we can only top up the global servers "
            "(Asia, America, Europe, TW, HK, MO)."
        ]
    }


@pytest.mark.parametrize(
    ("uid", "message"),
    [
        ("412345678", "This is not a UID of a global server. Check the UID."),
        ("8123456789", "This is not a UID of a global server. Check the UID."),  # 10 digits, 81
        ("81234567", "UID must be 9 to 10 digits long."),
        ("81234567890", "UID must be 9 to 10 digits long."),
        ("8123 4567", "UID must contain digits only."),
    ],
)
def test_a_malformed_uid_is_refused(uid, message):
    assert _errors(InputSchema.HONKAI_STAR_RAIL, user_id=uid, server="os_asia") == {
        "user_id": [message]
    }


@pytest.mark.parametrize("server", ["asia", "OS_ASIA", "os_cn", "Asia"])
def test_a_server_not_in_the_list_is_refused(server):
    assert _errors(InputSchema.GENSHIN_IMPACT, user_id="812345678", server=server) == {
        "server": ["Choose one of the listed values for Server."]
    }


def test_a_missing_server_is_required_and_the_uid_is_still_checked():
    assert _errors(InputSchema.GENSHIN_IMPACT, user_id="81234") == {
        "user_id": ["UID must be 9 to 10 digits long."],
        "server": [REQUIRED],
    }


# Riot ID (Valorant)


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Player#1234", "Player#1234"),
        ("  Hide on bush # KR1 ", "Hide on bush#KR1"),  # spaces inside the name are allowed
        ("abc#def", "abc#def"),  # 3 and 3: the shortest
        ("A" * 16 + "#12345", "A" * 16 + "#12345"),  # 16 and 5: the longest
        ("페이커#KR1", "페이커#KR1"),  # letters of any script
    ],
)
def test_a_riot_id_is_kept_as_name_hash_tag(typed, cleaned):
    assert _valid(InputSchema.RIOT_ID, riot_id=typed) == CustomerInput(
        fields={"riot_id": cleaned}, customer_no=cleaned
    )


NAME_RULE = "The name before # must be 3 to 16 letters or digits (spaces allowed)."
TAG_RULE = "The tag after # must be 3 to 5 letters or digits."
SHAPE_RULE = "Enter your Riot ID as name#tag, e.g. Player#1234."


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Player1234", SHAPE_RULE),
        ("Player#12#34", SHAPE_RULE),
        ("Pl#1234", NAME_RULE),
        ("A" * 17 + "#1234", NAME_RULE),
        ("Play.er#1234", NAME_RULE),
        ("#1234", NAME_RULE),
        ("Player#12", TAG_RULE),
        ("Player#123456", TAG_RULE),
        ("Player#12 3", TAG_RULE),
        ("Player#", TAG_RULE),
    ],
)
def test_a_bad_riot_id_says_which_part_is_wrong(typed, message):
    assert _errors(InputSchema.RIOT_ID, riot_id=typed) == {"riot_id": [message]}


# Every game schema


@pytest.mark.parametrize("schema", GAME_SCHEMAS)
def test_every_game_schema_has_its_words_in_english_and_indonesian(schema):
    specs = schema_fields(schema)
    english = schema_instructions(schema)
    with translation.override("id"):
        indonesian = schema_instructions(schema)
        translated = [
            (translation.gettext(spec.label), translation.gettext(spec.help_text)) for spec in specs
        ]
        choices = [translation.gettext(c.label) for spec in specs for c in spec.choices]

    assert english
    assert indonesian != english
    for spec, (_label, help_text) in zip(specs, translated, strict=True):
        assert spec.help_text
        assert help_text != spec.help_text
    if schema in (InputSchema.GENSHIN_IMPACT, InputSchema.HONKAI_STAR_RAIL):
        assert choices == ["Asia", "Amerika", "Eropa", "TW, HK, MO"]


def test_errors_are_in_the_buyer_s_language():
    with translation.override("id"):
        riot = _errors(InputSchema.RIOT_ID, riot_id="Player")
        server = _errors(InputSchema.GENSHIN_IMPACT, user_id="812345678", server="os_usa")

    assert riot == {"riot_id": ["Masukkan Riot ID Anda sebagai nama#tag, mis. Player#1234."]}
    assert server == {"server": ["UID ini ada di server Asia: pilih Asia, atau periksa UID-nya."]}
