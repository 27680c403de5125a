"""The reseller models in the admin: what staff save is checked as on the reseller's own
page, a bad stored allow-list refuses calls (403, never 500), secrets are never shown."""

import pytest
from django.urls import reverse

from resellers.models import ApiKey, ResellerSettings
from resellers.services import (
    api_key_create,
    reseller_rotate_secret,
    reseller_settings_for,
    signing_secrets,
)
from tests.ops.conftest import staff_client
from tests.resellers.conftest import ApiClient

pytestmark = pytest.mark.django_db

BALANCE = "/api/v1/balance"


def save_key(client, api_key, networks: str, rate: int = 600):
    url = reverse("admin:resellers_apikey_change", args=[api_key.pk])
    return client.post(
        url, {"name": api_key.name, "allowed_networks": networks, "rate_limit_per_minute": rate}
    )


@pytest.mark.parametrize(
    ("networks", "rate"),
    [("garbage", 600), ('["garbage"]', 600), ("10.0.0.0/33", 600), ("10.0.0.1", 0)],
)
def test_the_key_form_refuses_what_is_not_an_allow_list(funded_reseller, networks, rate):
    api_key, _raw = api_key_create(user=funded_reseller, allowed_networks=["192.0.2.7"])

    reply = save_key(staff_client("ada-admin", "admin"), api_key, networks, rate)

    assert reply.status_code == 200
    assert reply.context["adminform"].form.errors
    api_key.refresh_from_db()
    assert api_key.allowed_networks == ["192.0.2.7/32"]
    assert api_key.rate_limit_per_minute == 600


def test_the_key_form_stores_normalised_networks_the_key_then_uses(funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller)

    reply = save_key(staff_client("ada-admin", "admin"), api_key, "10.1.2.3/16\n192.0.2.7, ")

    assert reply.status_code == 302
    api_key.refresh_from_db()
    assert api_key.allowed_networks == ["10.1.0.0/16", "192.0.2.7/32"]
    assert ApiClient(raw, REMOTE_ADDR="10.1.9.9").get(BALANCE).status_code == 200
    assert ApiClient(raw, REMOTE_ADDR="10.2.0.1").get(BALANCE).status_code == 403


@pytest.mark.parametrize("stored", [["garbage"], "garbage", [5], {"a": "10.0.0.0/8"}])
def test_a_bad_stored_allow_list_refuses_the_call_with_403(funded_reseller, stored):
    api_key, raw = api_key_create(user=funded_reseller)
    ApiKey.objects.filter(pk=api_key.pk).update(allowed_networks=stored)

    reply = ApiClient(raw, REMOTE_ADDR="10.0.0.1").get(BALANCE)

    assert reply.status_code == 403
    assert reply.json() == {
        "code": "forbidden",
        "message": "This key's IP allow-list is not valid; "
        "create a new key or ask support to fix it.",
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/cb", "must use https"),
        ("https://127.0.0.1/cb", "private address"),
        ("https://10.0.0.5/cb", "private address"),
    ],
)
def test_the_settings_form_refuses_an_unsafe_callback_url(funded_reseller, settings, url, message):
    settings.SIMULATORS_ENABLED = False
    found = reseller_settings_for(user=funded_reseller)
    change = reverse("admin:resellers_resellersettings_change", args=[found.pk])

    reply = staff_client("ada-admin", "admin").post(change, {"callback_url": url})

    assert reply.status_code == 200
    assert message in str(reply.context["adminform"].form.errors["callback_url"])
    found.refresh_from_db()
    assert found.callback_url == ""


def test_the_settings_form_saves_a_public_https_url(funded_reseller, settings):
    settings.SIMULATORS_ENABLED = False
    found = reseller_settings_for(user=funded_reseller)
    change = reverse("admin:resellers_resellersettings_change", args=[found.pk])

    reply = staff_client("ada-admin", "admin").post(
        change, {"callback_url": "https://93.184.216.34/cb"}
    )

    assert reply.status_code == 302
    found.refresh_from_db()
    assert found.callback_url == "https://93.184.216.34/cb"


def test_secrets_are_masked_and_rotated_through_the_service(funded_reseller):
    found = reseller_settings_for(user=funded_reseller)
    reseller_rotate_secret(user=funded_reseller)
    found.refresh_from_db()
    old_secret, older_secret = found.secret, found.previous_secret
    admin = staff_client("ada-admin", "admin")
    change = reverse("admin:resellers_resellersettings_change", args=[found.pk])

    page = admin.get(change).content.decode()
    assert old_secret not in page
    assert older_secret not in page
    assert "whsec_••••••" in page
    admin.post(
        reverse("admin:resellers_resellersettings_changelist"),
        {"action": "rotate_secret", "_selected_action": [found.pk]},
    )

    found = ResellerSettings.objects.get(pk=found.pk)
    assert found.secret not in (old_secret, older_secret)
    assert found.previous_secret == old_secret  # still signs in the grace period
    assert signing_secrets(found) == [found.secret, old_secret]
    assert found.secret not in admin.get(change).content.decode()


def test_support_cannot_rotate_a_secret(funded_reseller):
    found = reseller_settings_for(user=funded_reseller)
    secret = found.secret

    staff_client("sue-support", "support").post(
        reverse("admin:resellers_resellersettings_changelist"),
        {"action": "rotate_secret", "_selected_action": [found.pk]},
    )

    found.refresh_from_db()
    assert found.secret == secret
