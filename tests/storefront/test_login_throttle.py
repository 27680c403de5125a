"""Login throttling (django-axes): repeated failures for one username from one address lock
that pair out for the cool-off; a success before the limit resets the count."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"


@pytest.fixture
def sari():
    user = make_user("sari")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client: Client, password: str, *, address: str = "203.0.113.7", **headers):
    return client.post(
        "/accounts/login/",
        {"username": "sari", "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def test_five_failures_lock_the_username_out_even_with_the_right_password(client, sari, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    locked = log_in(client, "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "Try again in 15 minutes" in locked.content.decode()

    right_password = log_in(client, PASSWORD)
    assert right_password.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, sari, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    assert log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_the_lockout_is_per_address_so_others_cannot_lock_a_customer_out(client, sari, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", address="198.51.100.66")

    response = log_in(Client(), PASSWORD, address="203.0.113.7")

    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, sari, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    assert not AccessAttempt.objects.filter(username="sari").exists()
    assert log_in(client, "wrong").status_code == 200
