"""VIP Reseller adapter against recorded replies (`responses`): the requests it sends, the
mapping of every documented reply, and errors (no reply → UNKNOWN, a refusal → FAILED)."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses

from catalog.models import InputSchema
from providers.base import (
    AccountInfo,
    AccountNotFound,
    FailureKind,
    FinalProviderError,
    NotConfigured,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
)
from providers.http import ProviderHttp
from providers.models import ProviderCall
from providers.vipreseller.adapter import NO_TRXID_MESSAGE, VipResellerAdapter, order_target
from providers.vipreseller.client import REDACTED_KEYS, VipResellerClient
from providers.vipreseller.nicknames import brand_key

BASE = "https://vip.test/api"
FEATURE = f"{BASE}/game-feature"
PROFILE = f"{BASE}/profile"
ML = OrderRequest(
    reference="TRX-20261207-AAAAAA",
    sku="MLB1048B-S1",
    customer_no="136216325-2685",
    customer_data={"user_id": "136216325", "zone_id": "2685"},
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def adapter() -> VipResellerAdapter:
    http = ProviderHttp("vipreseller", redact_keys=REDACTED_KEYS, sleep=lambda _s: None)
    return VipResellerAdapter(
        client=VipResellerClient(api_id="id-1", api_key="key-1", base_url=BASE, http=http)
    )


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def transaction(status: str, **fields) -> dict:
    # The documented example (game-feature order / status).
    return {
        "trxid": "some1d",
        "data": "136216325",
        "zone": "2685",
        "service": "Mobile Legends B - 1048 Diamonds",
        "status": status,
        "note": "",
        "price": 195695,
        **fields,
    }


def ordered(rsps, data=None, **kwargs):
    body = {"result": True, "data": data or transaction("waiting", balance=100000)}
    body["message"] = "Pesanan berhasil, pesanan akan diproses."
    return rsps.post(FEATURE, json=body, **kwargs)


# --- settings ---------------------------------------------------------------------------------


def test_from_settings_reads_the_environment_at_call_time(settings):
    settings.SIMULATORS_ENABLED = False
    settings.VIPRESELLER_BASE_URL = ""
    settings.VIPRESELLER_API_ID = "live-id"
    settings.VIPRESELLER_API_KEY = "live-key"
    adapter = VipResellerAdapter.from_settings()
    assert adapter.client.base_url == "https://vip-reseller.co.id/api"
    assert (adapter.client.api_id, adapter.client.api_key) == ("live-id", "live-key")


def test_from_settings_with_simulators_points_at_the_simulator(settings):
    settings.SIMULATORS_ENABLED = True
    settings.VIPRESELLER_BASE_URL = ""
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert VipResellerAdapter.from_settings().client.base_url == (
        "http://127.0.0.1:8000/sim/vipreseller/api"
    )


def test_from_settings_names_every_missing_credential(settings):
    settings.VIPRESELLER_API_ID = ""
    settings.VIPRESELLER_API_KEY = ""
    with pytest.raises(NotConfigured, match="VIPRESELLER_API_ID, VIPRESELLER_API_KEY"):
        VipResellerAdapter.from_settings()


# --- reads ------------------------------------------------------------------------------------


@responses.activate
def test_balance_comes_from_the_profile_as_decimal(adapter):
    responses.post(
        PROFILE,
        json={
            "result": True,
            "data": {"username": "some1d", "balance": 522, "level": "Special"},
            "message": "Successfully got your account details.",
        },
    )
    balance = adapter.get_balance()
    assert balance.amount == Decimal("522")
    assert isinstance(balance.amount, Decimal)
    assert balance.currency == "IDR"


@responses.activate
def test_a_refused_read_is_final_and_a_5xx_transient(adapter):
    responses.post(PROFILE, json={"result": False, "data": None, "message": "API Key salah."})
    with pytest.raises(FinalProviderError, match="API Key salah"):
        adapter.get_balance()
    responses.replace(responses.POST, PROFILE, status=503)
    with pytest.raises(TransientProviderError):
        adapter.get_balance()
    responses.replace(responses.POST, PROFILE, body="<html>oops</html>")
    with pytest.raises(TransientProviderError):
        adapter.get_balance()


@responses.activate
def test_catalog_is_priced_at_our_level_with_brands_merged_across_variants(adapter):
    responses.post(
        PROFILE, json={"result": True, "data": {"balance": 1, "level": "Premium"}, "message": ""}
    )
    services = [
        {
            "code": "ML14-S14",
            "game": "Mobile Legends A",
            "name": "14 Diamonds ( 13 + 1 Bonus )",
            "price": {"basic": 3310, "premium": 3260, "special": 3235},
            "server": "1",
            "status": "empty",
        },
        {
            "code": "MLB1048B-S1",
            "game": "Mobile Legends B",
            "name": "1048 Diamonds",
            "price": 237620,  # the older documented shape: one price
            "server": "SRV-1",
            "status": "available",
        },
        {
            "code": "FF70-S1",
            "game": "Free Fire",
            "name": "70 Diamonds",
            "price": {"basic": 9300, "premium": 9114, "special": 9068},
            "status": "available",
        },
        {"game": "no code"},
    ]
    responses.post(FEATURE, json={"result": True, "data": services, "message": "ok"})

    items = {item.sku: item for item in adapter.fetch_catalog()}

    assert set(items) == {"ML14-S14", "MLB1048B-S1", "FF70-S1"}
    signed = {"key": "key-1", "sign": adapter.client.sign()}
    assert form(responses.calls[0]) == {**signed, "type": "services"}
    ml = items["ML14-S14"]
    assert (ml.brand, ml.category, ml.currency) == ("Mobile Legends", "Games", "IDR")
    assert ml.name == "Mobile Legends A 14 Diamonds ( 13 + 1 Bonus )"
    assert ml.cost == Decimal("3260")  # our level's price
    assert ml.active is False
    assert ml.input_schema == InputSchema.GAME_WITH_ZONE
    assert items["MLB1048B-S1"].brand == "Mobile Legends"
    assert items["MLB1048B-S1"].cost == Decimal("237620")
    assert items["FF70-S1"].input_schema == InputSchema.GAME
    assert items["FF70-S1"].active is True


@responses.activate
def test_catalog_uses_the_basic_price_when_the_profile_cannot_be_read(adapter):
    responses.post(PROFILE, status=500)
    responses.post(
        FEATURE,
        json={
            "result": True,
            "data": [
                {
                    "code": "FF70-S1",
                    "game": "Free Fire",
                    "name": "70 Diamonds",
                    "price": {"basic": 9300, "premium": 9114, "special": 9068},
                    "status": "available",
                }
            ],
        },
    )
    assert adapter.fetch_catalog()[0].cost == Decimal("9300")  # the highest: never a loss


# --- orders -----------------------------------------------------------------------------------


def test_order_target_formats_vip_fields_from_the_customer_data():
    def target(**data):
        return order_target(
            OrderRequest(reference="R", sku="S", customer_no="x", customer_data=data)
        )

    assert target(user_id="136216325", zone_id="2685") == ("136216325", "2685")
    assert target(user_id="800123456", server="os_asia") == ("800123456", "os_asia")
    assert target(riot_id="Player#SEA") == ("Player#SEA", "")
    assert target(user_id="555666777") == ("555666777", "")
    older = OrderRequest(reference="R", sku="S", customer_no="136216325-2685")
    assert order_target(older) == ("136216325", "2685")
    assert order_target(OrderRequest(reference="R", sku="S", customer_no="buyer@x.id")) == (
        "buyer@x.id",
        "",
    )


@responses.activate
def test_a_waiting_order_is_pending_with_the_trxid_handed_over_at_once(adapter):
    ordered(responses)
    seen = []
    request = OrderRequest(**{**ML.__dict__, "on_provider_order_id": seen.append})

    result = adapter.place_order(request)

    assert result.status == ProviderStatus.PENDING
    assert result.provider_order_id == "some1d"
    assert seen == ["some1d"]
    assert form(responses.calls[0])["service"] == "MLB1048B-S1"
    assert form(responses.calls[0])["data_no"] == "136216325"
    assert form(responses.calls[0])["data_zone"] == "2685"


@responses.activate
def test_a_successful_order_carries_the_note_as_serial(adapter):
    ordered(responses, transaction("success", note="SN 1234567890"))
    result = adapter.place_order(ML)
    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers[0].serial == "SN 1234567890"
    # what was delivered lives on the voucher only: not in the message, the raw reply or the log
    assert "1234567890" not in result.message
    assert result.raw["note"] == "[redacted]"
    assert "1234567890" not in ProviderCall.objects.get(endpoint="order").response_body


@responses.activate
def test_an_error_status_is_a_final_failure_with_its_note(adapter):
    ordered(responses, transaction("error", note="Zone tujuan salah."))
    result = adapter.place_order(ML)
    assert result.status == ProviderStatus.FAILED
    assert result.message == "Zone tujuan salah."
    assert result.failure_kind == FailureKind.ACCOUNT
    assert result.provider_order_id == "some1d"


@responses.activate
@pytest.mark.parametrize(
    ("message", "out_of_balance", "kind"),
    [
        ("Saldo anda tidak mencukupi untuk melakukan pemesanan ini.", True, "unavailable"),
        ("Layanan tidak ditemukan.", False, "account"),
        ("Layanan sedang tidak tersedia.", False, "unavailable"),
    ],
)
def test_a_refused_order_is_failed(adapter, message, out_of_balance, kind):
    responses.post(FEATURE, json={"result": False, "data": None, "message": message})
    result = adapter.place_order(ML)
    assert result.status == ProviderStatus.FAILED
    assert message in result.message
    assert result.provider_out_of_balance is out_of_balance
    assert result.failure_kind == kind
    assert result.provider_order_id == ""


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"body": requests.Timeout("read timed out")},
        {"body": requests.ConnectionError("reset")},
        {"status": 500, "body": "Internal Server Error"},
        {"status": 429, "json": {"result": False, "message": "Too Many Requests."}},
        {"body": '{"result": true, "data": {'},
        {"json": {"result": True, "data": {"status": "waiting"}}},
    ],
)
def test_an_order_without_a_readable_trxid_is_unknown_and_sent_once(adapter, reply):
    responses.post(FEATURE, **reply)
    result = adapter.place_order(ML)
    assert result.status == ProviderStatus.UNKNOWN
    assert NO_TRXID_MESSAGE in result.message
    assert len(responses.calls) == 1


@responses.activate
def test_a_4xx_without_vips_json_is_a_refusal(adapter):
    responses.post(FEATURE, status=403, body="Forbidden")
    result = adapter.place_order(ML)
    assert result.status == ProviderStatus.FAILED
    assert result.rc == "403"


@responses.activate
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("waiting", ProviderStatus.PENDING),
        ("processing", ProviderStatus.PENDING),
        ("success", ProviderStatus.SUCCESS),
        ("error", ProviderStatus.FAILED),
        ("something new", ProviderStatus.UNKNOWN),
    ],
)
def test_status_check_by_trxid_maps_every_status(adapter, status, expected):
    responses.post(
        FEATURE,
        json={
            "result": True,
            "data": [transaction(status)],
            "message": "Detail transaksi berhasil didapatkan.",
        },
    )
    result = adapter.check_order(OrderRequest(**{**ML.__dict__, "provider_order_id": "some1d"}))
    assert result.status == expected
    assert result.provider_order_id == "some1d"
    assert form(responses.calls[0]) == {
        "key": "key-1",
        "sign": adapter.client.sign(),
        "type": "status",
        "trxid": "some1d",
    }


def test_without_a_trxid_the_check_is_unknown_never_not_found(adapter):
    result = adapter.check_order(ML)
    assert result.status == ProviderStatus.UNKNOWN
    assert result.message == NO_TRXID_MESSAGE


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"json": {"result": False, "data": None, "message": "Transaksi tidak ditemukan."}},
        {"status": 502},
        {"body": "not json"},
        {"json": {"result": True, "data": [transaction("success", trxid="another")]}},
        {"body": requests.Timeout("slow")},
    ],
)
def test_a_status_check_that_cannot_say_is_unknown(adapter, reply):
    responses.post(FEATURE, **reply)
    result = adapter.check_order(OrderRequest(**{**ML.__dict__, "provider_order_id": "some1d"}))
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id == "some1d"


# --- account lookup ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("brand", "schema"),
    [
        ("Mobile Legends", InputSchema.GAME_WITH_ZONE),
        ("MOBILE LEGENDS", InputSchema.GAME_WITH_ZONE),
        ("Mobile Legends: Bang Bang", InputSchema.GAME_WITH_ZONE),
        ("mobile-legends", InputSchema.GAME_WITH_ZONE),
        ("Free Fire", InputSchema.GAME),
        ("PUBG Mobile", InputSchema.GAME),
    ],
)
def test_looks_up_the_games_vip_checks(adapter, brand, schema):
    assert adapter.looks_up_accounts(brand=brand, input_schema=schema)


@pytest.mark.parametrize(
    ("brand", "schema"),
    [
        ("PLN", InputSchema.PLN),
        ("Telkomsel", InputSchema.PHONE),
        ("Honor of Kings", InputSchema.GAME),
        ("", InputSchema.GAME),
        ("Mobile Legends", InputSchema.GAME),  # no zone typed: VIP cannot check it
        ("Free Fire", InputSchema.EMAIL),  # no user id typed
        ("Free Fire", "no-such-schema"),
    ],
)
def test_does_not_look_up_what_it_cannot_check(adapter, brand, schema):
    assert not adapter.looks_up_accounts(brand=brand, input_schema=schema)


def test_brand_key_ignores_case_and_punctuation():
    assert brand_key("  Mobile Legends: Bang-Bang ") == "mobile legends bang bang"


@responses.activate
def test_a_found_account_gives_its_nickname(adapter):
    responses.post(FEATURE, json={"result": True, "data": "SwiftTiger07", "message": "ok"})
    info = adapter.account_lookup(
        brand="Mobile Legends",
        input_schema=InputSchema.GAME_WITH_ZONE,
        fields={"user_id": "136216325", "zone_id": "2685"},
    )
    assert info == AccountInfo(name="SwiftTiger07")
    assert form(responses.calls[0]) == {
        "key": "key-1",
        "sign": adapter.client.sign(),
        "type": "get-nickname",
        "code": "mobile-legends",
        "target": "136216325",
        "additional_target": "2685",
    }


@responses.activate
def test_a_nickname_in_an_object_is_read_too(adapter):
    responses.post(FEATURE, json={"result": True, "data": {"username": "Budi"}})
    info = adapter.account_lookup(
        brand="Free Fire", input_schema=InputSchema.GAME, fields={"user_id": "555666777"}
    )
    assert info.name == "Budi"
    assert "additional_target" not in form(responses.calls[0])


@responses.activate
def test_an_account_vip_cannot_find_is_account_not_found(adapter):
    responses.post(
        FEATURE, json={"result": False, "data": None, "message": "Player ID Tidak Ditemukan."}
    )
    with pytest.raises(AccountNotFound, match="Player ID Tidak Ditemukan"):
        adapter.account_lookup(
            brand="Free Fire", input_schema=InputSchema.GAME, fields={"user_id": "404404404"}
        )


@responses.activate
def test_a_refusal_for_our_credentials_is_not_the_buyers_wrong_id(adapter):
    responses.post(FEATURE, json={"result": False, "data": None, "message": "Sign tidak valid."})
    with pytest.raises(FinalProviderError) as refused:
        adapter.account_lookup(
            brand="Free Fire", input_schema=InputSchema.GAME, fields={"user_id": "555666777"}
        )
    assert not isinstance(refused.value, AccountNotFound)


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500},
        {"status": 429},
        {"body": "garbage"},
        {"body": requests.Timeout("slow")},
        {"json": {"result": True, "data": ""}},
    ],
)
def test_a_lookup_outage_is_transient(adapter, reply):
    responses.post(FEATURE, **reply)
    with pytest.raises(TransientProviderError):
        adapter.account_lookup(
            brand="Free Fire", input_schema=InputSchema.GAME, fields={"user_id": "555666777"}
        )


def test_incomplete_fields_or_an_unknown_game_are_refused_without_a_call(adapter):
    with pytest.raises(FinalProviderError):
        adapter.account_lookup(
            brand="Mobile Legends", input_schema=InputSchema.GAME, fields={"user_id": "1234"}
        )
    with pytest.raises(FinalProviderError):
        adapter.account_lookup(brand="PLN", input_schema=InputSchema.PLN, fields={"x": "1"})
