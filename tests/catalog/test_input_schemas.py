import pytest
from django.core.exceptions import ValidationError

from catalog.input_schemas import CustomerInput, schema_fields, validate_customer_input
from catalog.models import InputSchema

REQUIRED = "This field is required."


def _valid(schema, **data):
    return validate_customer_input(schema=schema, data=data)


def _errors(schema, **data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_customer_input(schema=schema, data=data)
    return caught.value.message_dict


# GAME


def test_a_game_user_id_is_the_customer_number():
    assert _valid(InputSchema.GAME, user_id=" 12345678 ") == CustomerInput(
        fields={"user_id": "12345678"}, customer_no="12345678"
    )


def test_a_game_user_id_sent_as_a_json_number_is_accepted():
    assert _valid(InputSchema.GAME, user_id=12345678).customer_no == "12345678"


@pytest.mark.parametrize(
    ("user_id", "message"),
    [
        ("1234abcd", "User ID must contain digits only."),
        ("12 34", "User ID must contain digits only."),
        ("١٢٣٤٥", "User ID must contain digits only."),  # Arabic-Indic digits
        ("123", "User ID must be 4 to 20 digits long."),
        ("1" * 21, "User ID must be 4 to 20 digits long."),
        ("", REQUIRED),
        ("   ", REQUIRED),
    ],
)
def test_a_bad_game_user_id_is_refused(user_id, message):
    assert _errors(InputSchema.GAME, user_id=user_id) == {"user_id": [message]}


def test_a_missing_user_id_is_required():
    assert _errors(InputSchema.GAME) == {"user_id": [REQUIRED]}


def test_a_value_that_is_not_text_is_refused():
    assert _errors(InputSchema.GAME, user_id=["1234"]) == {"user_id": ["Enter a single value."]}


# GAME_WITH_ZONE


def test_user_and_zone_are_joined_for_the_provider():
    cleaned = _valid(InputSchema.GAME_WITH_ZONE, user_id="12345678", zone_id=" 1234 ")

    assert cleaned.customer_no == "12345678-1234"
    assert cleaned.fields == {"user_id": "12345678", "zone_id": "1234"}


def test_every_field_error_is_reported_at_once():
    assert _errors(InputSchema.GAME_WITH_ZONE, user_id="12ab", zone_id="123456789") == {
        "user_id": ["User ID must contain digits only."],
        "zone_id": ["Zone ID must be 1 to 8 digits long."],
    }
    assert _errors(InputSchema.GAME_WITH_ZONE) == {"user_id": [REQUIRED], "zone_id": [REQUIRED]}


# PHONE


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("+62 812-3456-7890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("+6281234567890", "081234567890"),
        ("0812.3456.7890", "081234567890"),
        ("0812345678", "0812345678"),  # 10 digits, the shortest
        ("0812345678901", "0812345678901"),  # 13 digits, the longest
    ],
)
def test_an_indonesian_mobile_number_is_normalised_to_08(typed, normalised):
    cleaned = _valid(InputSchema.PHONE, phone=typed)

    assert cleaned.customer_no == normalised
    assert cleaned.fields == {"phone": normalised}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("081234567", "Phone number must be 10 to 13 digits long, starting with 08."),
        ("08123456789012", "Phone number must be 10 to 13 digits long, starting with 08."),
        ("+62 812 3456 789012", "Phone number must be 10 to 13 digits long, starting with 08."),
        ("0812abc45678", "Phone number must contain digits only."),
        ("+1 415 555 0100", "Phone number must contain digits only."),
        ("0212345678", "Enter an Indonesian mobile number starting with 08, +628 or 628."),
        ("6221234567", "Enter an Indonesian mobile number starting with 08, +628 or 628."),
    ],
)
def test_a_bad_phone_number_is_refused(typed, message):
    assert _errors(InputSchema.PHONE, phone=typed) == {"phone": [message]}


# PLN


@pytest.mark.parametrize("meter", ["12345678901", "123456789012"])
def test_a_pln_meter_number_has_11_or_12_digits(meter):
    assert _valid(InputSchema.PLN, meter_number=meter).customer_no == meter


@pytest.mark.parametrize(
    ("meter", "message"),
    [
        ("1234567890", "Meter number must be 11 to 12 digits long."),
        ("1234567890123", "Meter number must be 11 to 12 digits long."),
        ("1234567890X", "Meter number must contain digits only."),
    ],
)
def test_a_bad_pln_meter_number_is_refused(meter, message):
    assert _errors(InputSchema.PLN, meter_number=meter) == {"meter_number": [message]}


# EMAIL


def test_an_email_keeps_its_local_part_and_lowercases_its_domain():
    cleaned = _valid(InputSchema.EMAIL, email="  Rina.Putri@Example.CO.ID ")

    assert cleaned.customer_no == "Rina.Putri@example.co.id"


@pytest.mark.parametrize("email", ["rina", "rina@", "rina@example", "rina putri@example.com"])
def test_a_bad_email_is_refused(email):
    assert _errors(InputSchema.EMAIL, email=email) == {"email": ["Enter a valid email address."]}


# OTHER


def test_a_free_text_account_is_stripped():
    assert _valid(InputSchema.OTHER, account="  player one  ").customer_no == "player one"


@pytest.mark.parametrize(
    ("account", "message"),
    [
        ("x" * 101, "Account must be at most 100 characters."),
        ("player\x00one", "Account must not contain control characters."),
        ("player\none", "Account must not contain control characters."),
        (" \t ", REQUIRED),
    ],
)
def test_a_bad_free_text_account_is_refused(account, message):
    assert _errors(InputSchema.OTHER, account=account) == {"account": [message]}


def test_a_free_text_account_of_100_characters_is_accepted():
    assert _valid(InputSchema.OTHER, account="x" * 100).customer_no == "x" * 100


# Schemas


def test_every_schema_describes_its_fields():
    names = {schema: [f.name for f in schema_fields(schema)] for schema in InputSchema}

    assert names == {
        InputSchema.GAME: ["user_id"],
        InputSchema.GAME_WITH_ZONE: ["user_id", "zone_id"],
        InputSchema.MOBILE_LEGENDS: ["user_id", "zone_id"],
        InputSchema.FREE_FIRE: ["user_id"],
        InputSchema.PUBG_MOBILE: ["user_id"],
        InputSchema.GENSHIN_IMPACT: ["user_id", "server"],
        InputSchema.HONKAI_STAR_RAIL: ["user_id", "server"],
        InputSchema.RIOT_ID: ["riot_id"],
        InputSchema.CALL_OF_DUTY_MOBILE: ["user_id"],
        InputSchema.HONOR_OF_KINGS: ["user_id"],
        InputSchema.PHONE: ["phone"],
        InputSchema.PLN: ["meter_number"],
        InputSchema.EMAIL: ["email"],
        InputSchema.OTHER: ["account"],
    }
    phone = schema_fields(InputSchema.PHONE)[0]
    assert (phone.label, phone.input_mode) == ("Phone number", "tel")
    assert schema_fields(InputSchema.PLN)[0].pattern == "[0-9]{11,12}"


def test_an_unknown_schema_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown input schema 'fax'"):
        validate_customer_input(schema="fax", data={})
    with pytest.raises(ValueError, match="unknown input schema 'fax'"):
        schema_fields("fax")
