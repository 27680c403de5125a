"""The reseller's API page: keys made and revoked, callback URL, secret rotation, resend.

Browser-level rules: the raw key is in one reply only, the page is only for resellers, every
form needs its CSRF token, a row of another reseller is 404, bad input is a form error."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resellers.models import ApiKey, CallbackDelivery, CallbackStatus, ResellerSettings
from resellers.services import api_key_create, key_hash, reseller_settings_for
from tests.orders.fixtures import make_user
from tests.resellers.conftest import ApiClient

pytestmark = pytest.mark.django_db
PAGE = "/account/api/"
CREATE = "/account/api/keys/"
BALANCE = "/api/v1/balance"


def revoke_url(api_key: ApiKey) -> str:
    return f"/account/api/keys/{api_key.pk}/revoke/"


def shown_key(reply) -> str:
    found = re.search(r'<pre id="new-key">([^<]+)</pre>', reply.content.decode())
    return found.group(1) if found else ""


@pytest.fixture
def browser(funded_reseller) -> Client:
    client = Client()
    client.force_login(funded_reseller)
    return client


def test_a_new_key_is_shown_once_stored_hashed_and_identified_by_its_prefix(
    browser, funded_reseller
):
    reply = browser.post(
        CREATE,
        {"name": "bot", "allowed_networks": "10.0.0.0/8, 192.0.2.7", "rate_limit_per_minute": 60},
    )

    assert reply.status_code == 200
    raw = shown_key(reply)
    api_key = ApiKey.objects.get(user=funded_reseller)
    assert raw.startswith(api_key.prefix + "_")
    assert len(raw) > len(api_key.prefix) + 40
    assert api_key.key_hash == key_hash(raw)
    stored = [str(value) for value in ApiKey.objects.filter(pk=api_key.pk).values().get().values()]
    assert not any(raw in value for value in stored)
    assert (api_key.name, api_key.rate_limit_per_minute) == ("bot", 60)
    assert api_key.allowed_networks == ["10.0.0.0/8", "192.0.2.7/32"]
    # Never again: the page lists the prefix only.
    later = browser.get(PAGE).content.decode()
    assert raw not in later
    assert f"<code>{api_key.prefix}_…</code>" in later
    assert shown_key(browser.get(PAGE)) == ""
    # The key works.
    assert ApiClient(raw, REMOTE_ADDR="10.1.2.3").get(BALANCE).status_code == 200


def test_revoking_a_key_refuses_it_on_the_api_at_once(browser, funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller, name="old")
    assert ApiClient(raw).get(BALANCE).status_code == 200

    reply = browser.post(revoke_url(api_key))

    assert reply.status_code == 302
    assert reply["Location"] == PAGE
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    refused = ApiClient(raw).get(BALANCE)
    assert refused.status_code == 401
    assert refused.json() == {"code": "invalid_key", "message": "This API key was revoked."}
    page = browser.get(PAGE).content.decode()
    assert f"Key {api_key.prefix} revoked." in page
    assert 'class="revoked"' in page


def test_another_reseller_cannot_revoke_my_key(funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller)
    intruder = Client()
    intruder.force_login(make_user("intruder", reseller=True))

    assert intruder.post(revoke_url(api_key)).status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert ApiClient(raw).get(BALANCE).status_code == 200
    assert api_key.prefix not in intruder.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", PAGE),
        ("post", CREATE),
        ("post", "/account/api/callback-url/"),
        ("post", "/account/api/rotate-secret/"),
    ],
)
def test_the_page_is_only_for_resellers(customer, method, path):
    client = Client()
    client.force_login(customer)

    reply = getattr(client, method)(path, {"callback_url": "", "rate_limit_per_minute": 60})

    assert reply.status_code == 404
    assert not ApiKey.objects.exists()
    assert not ResellerSettings.objects.exists()


def test_a_revoke_by_a_customer_is_404(funded_reseller, customer):
    api_key, _raw = api_key_create(user=funded_reseller)
    client = Client()
    client.force_login(customer)

    assert client.post(revoke_url(api_key)).status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_guests_are_sent_to_log_in(db):
    reply = Client().post(CREATE, {"rate_limit_per_minute": 60})

    assert reply.status_code == 302
    assert reply["Location"] == f"{reverse('login')}?next={CREATE}"
    assert not ApiKey.objects.exists()


def test_every_form_needs_its_csrf_token(funded_reseller, balance_order):
    api_key, _raw = api_key_create(user=funded_reseller)
    delivery = CallbackDelivery.objects.create(
        user=funded_reseller,
        order=balance_order,
        webhook_id="msg_csrf",
        event_type="order.success",
        payload={},
        status=CallbackStatus.FAILED,
        window_started_at=timezone.now(),
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(funded_reseller)
    forms = [
        (CREATE, {"rate_limit_per_minute": 60}),
        (revoke_url(api_key), {}),
        ("/account/api/callback-url/", {"callback_url": "https://example.com/cb"}),
        ("/account/api/rotate-secret/", {}),
        (f"/account/api/callbacks/{delivery.pk}/resend/", {}),
    ]
    secret = reseller_settings_for(user=funded_reseller).secret

    for path, data in forms:
        assert client.post(path, data).status_code == 403, path

    assert ApiKey.objects.count() == 1
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    settings = ResellerSettings.objects.get(user=funded_reseller)
    assert (settings.callback_url, settings.secret) == ("", secret)
    delivery.refresh_from_db()
    assert delivery.status == CallbackStatus.FAILED

    # With the token from the page the same form works.
    client.get(PAGE)
    token = client.cookies["csrftoken"].value
    made = client.post(CREATE, {"rate_limit_per_minute": 60, "csrfmiddlewaretoken": token})
    assert made.status_code == 200
    assert ApiKey.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"allowed_networks": "10.0.0.0/33", "rate_limit_per_minute": 60},
            "&#x27;10.0.0.0/33&#x27; is not an IP address or CIDR network.",
        ),
        ({"allowed_networks": "my office", "rate_limit_per_minute": 60}, "is not an IP address"),
        ({"rate_limit_per_minute": 0}, "Ensure this value is greater than or equal to 1."),
        ({"rate_limit_per_minute": 100_001}, "less than or equal to 100000."),
        ({"rate_limit_per_minute": "many"}, "Enter a whole number."),
        ({}, "This field is required."),
        ({"name": "x" * 101, "rate_limit_per_minute": 60}, "at most 100 characters"),
    ],
)
def test_bad_key_input_is_a_form_error(browser, data, error):
    reply = browser.post(CREATE, data)

    assert reply.status_code == 400
    assert error in reply.content.decode()
    assert shown_key(reply) == ""
    assert not ApiKey.objects.exists()


def test_too_many_keys_is_a_form_error(browser, funded_reseller):
    for _ in range(20):
        api_key_create(user=funded_reseller)

    reply = browser.post(CREATE, {"rate_limit_per_minute": 60})

    assert reply.status_code == 400
    assert "Too many active keys: revoke one first." in reply.content.decode()
    assert ApiKey.objects.count() == 20


def test_the_callback_url_is_saved_and_cleared(browser, funded_reseller):
    saved = browser.post("/account/api/callback-url/", {"callback_url": "https://example.com/cb"})

    assert saved.status_code == 302
    assert reseller_settings_for(user=funded_reseller).callback_url == "https://example.com/cb"
    assert "Callback URL saved." in browser.get(PAGE).content.decode()

    assert browser.post("/account/api/callback-url/", {"callback_url": ""}).status_code == 302
    assert reseller_settings_for(user=funded_reseller).callback_url == ""


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("not a url", "Enter a valid URL."),
        ("ftp://example.com/cb", "The callback URL must use https."),
        ("https://example.com/" + "x" * 500, "at most 500 characters"),
    ],
)
def test_a_bad_callback_url_is_a_form_error(browser, funded_reseller, url, error):
    reseller_settings_for(user=funded_reseller)
    ResellerSettings.objects.filter(user=funded_reseller).update(
        callback_url="https://keep.example/"
    )

    reply = browser.post("/account/api/callback-url/", {"callback_url": url})

    assert reply.status_code == 400
    assert error in reply.content.decode()
    assert reseller_settings_for(user=funded_reseller).callback_url == "https://keep.example/"


def test_rotating_the_secret_keeps_the_old_one_for_the_grace_period(browser, funded_reseller):
    old = reseller_settings_for(user=funded_reseller).secret

    reply = browser.post("/account/api/rotate-secret/")

    assert reply.status_code == 302
    settings = ResellerSettings.objects.get(user=funded_reseller)
    assert settings.secret != old
    assert settings.secret.startswith("whsec_")
    assert settings.previous_secret == old
    page = browser.get(PAGE).content.decode()
    assert settings.secret in page
    assert "The previous secret also signs until" in page


@pytest.mark.parametrize(
    "path", [CREATE, "/account/api/keys/1/revoke/", "/account/api/rotate-secret/"]
)
def test_writes_are_post_only(browser, path):
    assert browser.get(path).status_code == 405
