"""Every way a call is refused before it reaches an endpoint: 401, 403, 429 in one shape."""

import pytest

from resellers.models import ApiKey
from resellers.services import api_key_create, api_key_revoke, key_hash
from shop.models import UserRole
from tests.orders.fixtures import make_user
from tests.resellers.conftest import ApiClient

BALANCE = "/api/v1/balance"
pytestmark = pytest.mark.django_db


def test_a_valid_key_is_accepted_and_only_its_hash_is_stored(funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller, name="bot")

    reply = ApiClient(raw).get(BALANCE)

    assert reply.status_code == 200
    assert reply.json() == {"balance": "50000.00", "currency": "IDR"}
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.key_hash == key_hash(raw)
    assert raw not in stored.key_hash
    assert raw.startswith(stored.prefix + "_")
    assert stored.last_used_at is not None


def test_no_key_is_401_with_a_bearer_challenge(funded_reseller):
    reply = ApiClient().get(BALANCE)

    assert reply.status_code == 401
    assert reply.json() == {
        "code": "unauthenticated",
        "message": "Send `Authorization: Bearer <key>`.",
    }
    assert reply["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic dXNlcjpwYXNz", "Use the header `Authorization: Bearer <key>`."),
        ("Bearer", "Use the header `Authorization: Bearer <key>`."),
        ("Bearer two words", "Use the header `Authorization: Bearer <key>`."),
        ("Bearer rk_00000000_unknown", "Unknown API key."),
    ],
)
def test_malformed_or_unknown_keys_are_401(funded_reseller, header, message):
    reply = ApiClient().client.get(BALANCE, HTTP_AUTHORIZATION=header)

    assert reply.status_code == 401
    assert reply.json() == {"code": "invalid_key", "message": message}


def test_a_revoked_key_is_401(funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller)
    api_key_revoke(api_key=api_key)

    reply = ApiClient(raw).get(BALANCE)

    assert reply.status_code == 401
    assert reply.json() == {"code": "invalid_key", "message": "This API key was revoked."}


def test_a_key_of_a_user_who_is_no_longer_a_reseller_is_403(funded_reseller):
    _key, raw = api_key_create(user=funded_reseller)
    funded_reseller.role = UserRole.CUSTOMER
    funded_reseller.save()

    reply = ApiClient(raw).get(BALANCE)

    assert reply.status_code == 403
    assert reply.json() == {"code": "forbidden", "message": "Only resellers may use the API."}


def test_a_key_of_a_disabled_account_is_401(funded_reseller):
    _key, raw = api_key_create(user=funded_reseller)
    funded_reseller.is_active = False
    funded_reseller.save()

    reply = ApiClient(raw).get(BALANCE)

    assert reply.status_code == 401
    assert reply.json() == {"code": "invalid_key", "message": "This account is disabled."}


def test_every_endpoint_refuses_a_call_without_a_key(funded_reseller):
    client = ApiClient()
    replies = [
        client.get("/api/v1/products"),
        client.get(BALANCE),
        client.get("/api/v1/orders"),
        client.get("/api/v1/orders/R-1"),
        client.post("/api/v1/orders", {}),
        client.post("/api/v1/orders/validate", {}),
    ]

    assert [reply.status_code for reply in replies] == [401] * 6
    assert {reply.json()["code"] for reply in replies} == {"unauthenticated"}


def test_customers_cannot_create_keys(db):
    from shop.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        api_key_create(user=make_user("buyer"))
    assert refused.value.code == "not_reseller"


def test_a_signed_in_session_is_not_enough(funded_reseller):
    client = ApiClient()
    client.client.force_login(funded_reseller)

    assert client.get(BALANCE).status_code == 401


def test_the_address_allow_list(funded_reseller):
    _key, raw = api_key_create(user=funded_reseller, allowed_networks=["10.1.0.0/16", "192.0.2.7"])

    inside = ApiClient(raw, REMOTE_ADDR="10.1.200.3").get(BALANCE)
    single = ApiClient(raw, REMOTE_ADDR="192.0.2.7").get(BALANCE)
    outside = ApiClient(raw, REMOTE_ADDR="10.2.0.1").get(BALANCE)

    assert inside.status_code == 200
    assert single.status_code == 200
    assert outside.status_code == 403
    assert outside.json() == {
        "code": "forbidden",
        "message": "This key may not be used from 10.2.0.1.",
    }


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(funded_reseller, settings):
    _key, raw = api_key_create(user=funded_reseller, allowed_networks=["203.0.113.0/24"])
    spoofed = ApiClient(raw, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert spoofed.get(BALANCE).status_code == 403

    settings.TRUSTED_PROXIES = ["198.51.100.1"]
    assert spoofed.get(BALANCE).status_code == 200


def test_invalid_cidrs_are_refused(funded_reseller):
    from shop.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        api_key_create(user=funded_reseller, allowed_networks=["10.0.0.0/33"])
    assert refused.value.code == "invalid_network"
