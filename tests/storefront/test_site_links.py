"""What a newcomer finds without typing addresses: the menu per role, the footer's API links,
the favicon, and a meta description on each page."""

import re

import pytest
from django.test import Client

from tests.ops.conftest import make_staff
from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db

API_KEYS, DASHBOARD, ADMIN = "/account/api/", "/ops/dashboard/", "/admin/"


def _header_links(client: Client) -> set[str]:
    html = client.get("/").content.decode()
    header = re.search(r"<header.*?</header>", html, re.S).group(0)
    return set(re.findall(r'href="([^"]+)"', header))


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("guest", set(), {API_KEYS, DASHBOARD, ADMIN}),
        ("customer", set(), {API_KEYS, DASHBOARD, ADMIN}),
        ("reseller", {API_KEYS}, {DASHBOARD, ADMIN}),
        ("support", {DASHBOARD, ADMIN}, {API_KEYS}),
        ("staff without the dashboard right", {ADMIN}, {API_KEYS, DASHBOARD}),
    ],
)
def test_the_menu_links_what_each_role_may_open(who, shown, hidden):
    user = {
        "guest": lambda: None,
        "customer": lambda: make_user("cus"),
        "reseller": lambda: make_user("res", reseller=True),
        "support": lambda: make_staff("sue", "support"),
        "staff without the dashboard right": lambda: make_staff("stan", None),
    }[who]()
    client = _client_for(user)

    links = _header_links(client)

    assert shown <= links
    assert not hidden & links
    for url in shown:  # each link leads to a page that person may open
        assert client.get(url).status_code == 200


def test_everyone_finds_the_api_documentation_in_the_footer(client):
    html = client.get("/").content.decode()
    footer = re.search(r"<footer.*?</footer>", html, re.S).group(0)

    assert 'href="/developers/api/"' in footer
    assert 'href="/api/docs/"' in footer
    assert client.get("/developers/api/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_favicon_ico_answers_and_pages_link_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+\.svg)"', html).group(1)
    svg = client.get(icon)
    assert svg.status_code == 200
    # File responses hold their files open until closed (last: closing ends the "request",
    # which closes the test's database connection).
    response.close()
    svg.close()


def _meta_description(response) -> str:
    html = response.content.decode()
    found = re.findall(r'<meta name="description" content="([^"]*)">', html)
    assert len(found) == 1
    return found[0]


def test_home_brand_and_order_pages_describe_themselves(client, storefront, balance_order):
    brand, _ml5, _ml86 = storefront
    brand.description = "Masukkan User ID & Zone ID\nProses 1-3 menit"  # a provider's text
    brand.save()
    client.force_login(balance_order.user)

    home = _meta_description(client.get("/"))
    brand_page = _meta_description(client.get(f"/brands/{brand.slug}/"))
    order_page = _meta_description(client.get(f"/orders/{balance_order.code}/"))

    assert "top up" in home.lower()
    assert brand_page.startswith("Buy Mobile Legends online")
    assert balance_order.code in order_page
    assert len({home, brand_page, order_page}) == 3
    assert all(50 <= len(text) <= 200 for text in (home, brand_page, order_page))


def test_the_description_is_in_the_visitors_language(client, storefront):
    client.cookies["django_language"] = "id"

    description = _meta_description(client.get("/brands/mobile-legends/"))

    assert description.startswith("Beli Mobile Legends")
