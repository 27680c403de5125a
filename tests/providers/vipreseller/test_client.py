"""VIP Reseller's client: form-encoded POSTs signed md5(API ID + API KEY), the exact fields
of each call, which calls are retried, and what reaches the call log."""

import hashlib
from urllib.parse import parse_qs

import pytest
import requests
import responses

from providers.base import TransientProviderError
from providers.http import ProviderHttp
from providers.models import ProviderCall
from providers.vipreseller.client import REDACTED_KEYS, VipResellerClient, vip_sign

BASE = "https://vip.test/api"
API_ID = "abcd1234"
API_KEY = "key-XYZ-987"
SIGN = hashlib.md5(b"abcd1234key-XYZ-987", usedforsecurity=False).hexdigest()

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> VipResellerClient:
    http = ProviderHttp("vipreseller", redact_keys=REDACTED_KEYS, sleep=lambda _s: None)
    return VipResellerClient(api_id=API_ID, api_key=API_KEY, base_url=BASE + "/", http=http)


def sent_form(call) -> dict[str, str]:
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def test_the_signature_is_md5_of_api_id_then_api_key():
    assert vip_sign(API_ID, API_KEY) == SIGN
    assert vip_sign(API_KEY, API_ID) != SIGN  # the order matters


@responses.activate
def test_profile_posts_key_and_sign_only(client):
    responses.post(f"{BASE}/profile", json={"result": True})
    client.profile()
    assert sent_form(responses.calls[0]) == {"key": API_KEY, "sign": SIGN}


@responses.activate
def test_services_sends_only_the_filters_given(client):
    responses.post(f"{BASE}/game-feature", json={"result": True})
    client.services()
    client.services(filter_type="game", filter_value="Mobile Legends", filter_status="available")
    assert sent_form(responses.calls[0]) == {"key": API_KEY, "sign": SIGN, "type": "services"}
    assert sent_form(responses.calls[1]) == {
        "key": API_KEY,
        "sign": SIGN,
        "type": "services",
        "filter_type": "game",
        "filter_value": "Mobile Legends",
        "filter_status": "available",
    }


@responses.activate
def test_order_status_and_get_nickname_fields(client):
    responses.post(f"{BASE}/game-feature", json={"result": True})
    client.order(service="MLA86-S1", data_no="12345678", data_zone="2685", reference="TRX-1")
    client.order(service="FF70-S1", data_no="555666777", reference="TRX-2")
    client.status(trxid="VIP123", reference="TRX-1")
    client.get_nickname(code="mobile-legends", target="12345678", additional_target="2685")
    client.get_nickname(code="free-fire", target="555666777")
    signed = {"key": API_KEY, "sign": SIGN}
    assert [sent_form(call) for call in responses.calls] == [
        {**signed, "type": "order", "service": "MLA86-S1", "data_no": "12345678",
         "data_zone": "2685"},
        {**signed, "type": "order", "service": "FF70-S1", "data_no": "555666777"},
        {**signed, "type": "status", "trxid": "VIP123"},
        {
            **signed,
            "type": "get-nickname",
            "code": "mobile-legends",
            "target": "12345678",
            "additional_target": "2685",
        },
        {**signed, "type": "get-nickname", "code": "free-fire", "target": "555666777"},
    ]  # fmt: skip


@responses.activate
def test_reads_are_retried_on_5xx_but_an_order_is_sent_once(client):
    responses.post(f"{BASE}/game-feature", status=502)
    reply = client.status(trxid="VIP1")
    assert reply.status == 502
    assert len(responses.calls) == 3  # retried with back-off

    responses.calls.reset()
    reply = client.order(service="X", data_no="1", reference="TRX-1")
    assert reply.status == 502
    assert len(responses.calls) == 1  # VIP takes no reference: a repeat would be a 2nd order


@responses.activate
def test_no_reply_at_all_is_a_transient_error(client):
    responses.post(f"{BASE}/game-feature", body=requests.ConnectionError("reset by peer"))
    with pytest.raises(TransientProviderError):
        client.order(service="X", data_no="1", reference="TRX-1")


@responses.activate
def test_the_call_log_keeps_the_reference_and_never_the_key_or_sign(client):
    responses.post(f"{BASE}/game-feature", json={"result": True, "data": {"trxid": "VIP9"}})
    client.order(service="MLA86-S1", data_no="12345678", reference="TRX-LOG")
    call = ProviderCall.objects.get()
    assert (call.provider, call.endpoint, call.reference) == ("vipreseller", "order", "TRX-LOG")
    assert API_KEY not in call.request_body
    assert SIGN not in call.request_body
    assert '"service": "MLA86-S1"' in call.request_body
