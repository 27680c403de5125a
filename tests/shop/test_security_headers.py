"""Content-Security-Policy and Permissions-Policy on every kind of page: storefront,
account, admin, the API docs page and the API's JSON. The policy allows scripts and
styles only from the shop's origin or with the response's nonce, so a page may carry no
inline script, style element or attribute, or event handler without it."""

import re

import pytest
from django.test import Client

from shop.models import User
from tests.ops.conftest import make_staff
from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in parts}


def assert_policies(response) -> dict[str, list[str]]:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    for kind in ("script-src", "style-src"):
        assert policy[kind][0] == "'self'"
        assert "'unsafe-inline'" not in policy[kind]
        assert "'unsafe-eval'" not in policy[kind]
        assert all(v == "'self'" or v.startswith("'nonce-") for v in policy[kind])
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    return policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ELEMENT = re.compile(r"<style\b[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)


def assert_nothing_inline_without_the_nonce(response, policy) -> None:
    html = response.content.decode()
    nonces = [v[len("'nonce-") : -1] for v in policy["script-src"] if v.startswith("'nonce-")]
    for tag in INLINE_SCRIPT.findall(html) + STYLE_ELEMENT.findall(html):
        assert any(f'nonce="{nonce}"' in tag for nonce in nonces), tag
    assert not STYLE_ATTRIBUTE.search(html)
    assert not EVENT_HANDLER.search(html)


@pytest.fixture
def customer_client():
    client = Client()
    client.force_login(make_user("rina", reseller=True))
    return client


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(User.objects.create_superuser(username="boss", password="x"))
    return client


@pytest.mark.parametrize(
    "path", ["/", "/search/?q=diamonds", "/accounts/login/", "/accounts/signup/"]
)
def test_storefront_pages(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert_nothing_inline_without_the_nonce(response, assert_policies(response))


@pytest.mark.parametrize(
    "path", ["/account/wallet/", "/account/orders/", "/account/notifications/", "/account/api/"]
)
def test_account_pages(customer_client, path):
    response = customer_client.get(path)

    assert response.status_code == 200
    assert_nothing_inline_without_the_nonce(response, assert_policies(response))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/orders/order/",
        "/admin/wallets/deposit/",
        "/admin/catalog/pricingrule/add/",
        "/ops/dashboard/",
    ],
)
def test_admin_pages(superuser_client, path):
    response = superuser_client.get(path)

    assert response.status_code == 200
    assert_nothing_inline_without_the_nonce(response, assert_policies(response))


def test_the_admin_login_page(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert_nothing_inline_without_the_nonce(response, assert_policies(response))


def test_the_api_docs_page_styles_only_under_its_nonce(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    policy = assert_policies(response)
    [nonce] = [v[len("'nonce-") : -1] for v in policy["style-src"] if v.startswith("'nonce-")]
    assert f'<style nonce="{nonce}">' in response.content.decode()
    assert_nothing_inline_without_the_nonce(response, policy)
    # its start-up script is a file of the shop's origin, not an inline script
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/v1/products", "/healthz"])
def test_api_json_replies(client, path):
    response = client.get(path)

    assert_policies(response)


def test_the_staff_pages_outside_the_admin(db):
    client = Client()
    client.force_login(make_staff("fin-finance", "finance"))

    response = client.get("/ops/dashboard/")

    assert response.status_code == 200
    assert_nothing_inline_without_the_nonce(response, assert_policies(response))
