"""Digiflazz's PLN account check (/inquiry-pln): with `responses` (the exact request, every
reply) and against the simulator over real HTTP."""

import json

import pytest
import responses

from catalog.models import InputSchema
from providers.base import (
    AccountInfo,
    AccountNotFound,
    FinalProviderError,
    TransientProviderError,
)
from providers.digiflazz import simulator
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.digiflazz.client import REDACTED_KEYS, DigiflazzClient
from providers.http import ProviderHttp
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db

USERNAME, API_KEY = "buyer01", "dev-key-7f3a"
BASE = "https://api.digiflazz.com/v1"
METER = "12345678901"
SIGN_METER = "5675a322a311ab79f4c282c060d82069"  # md5("buyer01dev-key-7f3a12345678901")
URL = f"{BASE}/inquiry-pln"


def make_adapter() -> DigiflazzAdapter:
    http = ProviderHttp("digiflazz", redact_keys=REDACTED_KEYS, sleep=lambda _seconds: None)
    client = DigiflazzClient(
        username=USERNAME, api_key=API_KEY, base_url=BASE, http=http, lookup_http=http
    )
    return DigiflazzAdapter(client=client)


def lookup(adapter: DigiflazzAdapter, meter: str = METER) -> AccountInfo:
    return adapter.account_lookup(
        brand="PLN", input_schema=InputSchema.PLN, fields={"meter_number": meter}
    )


def test_checks_every_brand_whose_buyers_type_a_meter_number():
    adapter = make_adapter()
    assert adapter.looks_up_accounts(brand="PLN", input_schema=InputSchema.PLN)
    assert adapter.looks_up_accounts(brand="Token Listrik", input_schema=InputSchema.PLN)
    assert not adapter.looks_up_accounts(brand="PLN", input_schema=InputSchema.PHONE)
    assert not adapter.looks_up_accounts(
        brand="Mobile Legends", input_schema=InputSchema.GAME_WITH_ZONE
    )


@responses.activate
def test_sends_the_signed_inquiry_and_reads_the_documented_fields():
    responses.post(
        URL,
        json={
            "data": {
                "message": "Transaksi Sukses",
                "status": "Sukses",
                "rc": "00",
                "customer_no": METER,
                "meter_no": METER,
                "subscriber_id": "523300817840",
                "name": "DAVID",
                "segment_power": "R1 /000001300",
            }
        },
    )

    info = lookup(make_adapter())

    assert json.loads(responses.calls[0].request.body) == {
        "username": USERNAME,
        "customer_no": METER,
        "sign": SIGN_METER,
    }
    assert info == AccountInfo(
        name="DAVID",
        extra={
            "meter_no": METER,
            "subscriber_id": "523300817840",
            "segment_power": "R1 /000001300",
        },
    )
    call = ProviderCall.objects.get()
    assert call.endpoint == "inquiry-pln"
    assert API_KEY not in json.dumps(call.request_body)
    assert SIGN_METER not in json.dumps(call.request_body)


@responses.activate
@pytest.mark.parametrize("rc", ["54", "57"])
def test_a_wrong_number_is_not_found(rc):
    responses.post(
        URL,
        json={"data": {"rc": rc, "status": "Gagal", "message": "Nomor Tujuan Salah"}},
        status=400,
    )
    with pytest.raises(AccountNotFound) as raised:
        lookup(make_adapter())
    assert raised.value.code == rc


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500, "body": "oops"},
        {"status": 429, "json": {"message": "Too Many Attempts."}},
        {"status": 200, "body": '{"data": {"rc": "00", '},
        {"status": 200, "json": {"nothing": True}},
        {"status": 200, "json": {"data": {"rc": "00", "status": "Sukses", "name": ""}}},
        {"status": 200, "json": {"data": {"rc": "70", "status": "Gagal", "message": "Timeout"}}},
        {"status": 200, "json": {"data": {"rc": "83", "status": "Gagal", "message": "Limit"}}},
    ],
    ids=["5xx", "429", "malformed", "no-data", "no-name", "biller-timeout", "rate-limit"],
)
def test_outages_and_garbage_are_transient(reply):
    responses.post(URL, **reply)
    with pytest.raises(TransientProviderError):
        lookup(make_adapter())


@responses.activate
def test_a_refused_signature_is_final_but_not_not_found():
    responses.post(
        URL,
        json={"data": {"rc": "41", "message": "Signature tidak valid"}},
        status=400,
    )
    with pytest.raises(FinalProviderError) as raised:
        lookup(make_adapter())
    assert not isinstance(raised.value, AccountNotFound)
    assert raised.value.code == "41"


@responses.activate
def test_a_connection_error_is_transient():
    with pytest.raises(TransientProviderError):  # nothing registered: no reply at all
        lookup(make_adapter())


# --- against the simulator ----------------------------------------------------------------


@pytest.fixture
def sim_adapter(live_server, settings) -> DigiflazzAdapter:
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    return DigiflazzAdapter.from_settings()


def test_simulator_names_a_valid_looking_meter_the_same_every_time(sim_adapter):
    first = lookup(sim_adapter, "53123456789")
    second = lookup(sim_adapter, "53123456789")
    other = lookup(sim_adapter, "53123456788")

    assert first == second
    assert first.name in simulator.FAKE_NAMES
    assert first.extra["meter_no"] == "53123456789"
    assert first.extra["segment_power"] in simulator.FAKE_SEGMENT_POWERS
    assert len(first.extra["subscriber_id"]) == 12
    assert other.extra["meter_no"] == "53123456788"


def test_simulator_knows_no_customer_for_its_test_number(sim_adapter):
    with pytest.raises(AccountNotFound) as raised:
        lookup(sim_adapter, simulator.UNKNOWN_METER)
    assert raised.value.code == "54"


def test_simulator_checks_the_signature(live_server, settings):
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    adapter = DigiflazzAdapter.from_settings()
    adapter.client.api_key = "not-the-key"
    with pytest.raises(FinalProviderError) as raised:
        lookup(adapter)
    assert raised.value.code == "41"
    assert not isinstance(raised.value, AccountNotFound)


@pytest.mark.parametrize("ending", ["95", "96", "97"])
def test_simulator_outage_endings_are_transient(sim_adapter, ending):
    with pytest.raises(TransientProviderError):
        lookup(sim_adapter, "531234567" + ending)
