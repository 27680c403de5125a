"""The SSRF guard on callback URLs, as in production (simulators off)."""

import socket

import pytest

from resellers import urlguard
from resellers.urlguard import UnresolvableUrl, UnsafeUrl, check_callback_url


@pytest.fixture(autouse=True)
def production(settings):
    settings.SIMULATORS_ENABLED = False


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/cb",  # not https
        "ftp://93.184.216.34/cb",
        "https://user:pass@93.184.216.34/cb",
        "https://127.0.0.1/cb",
        "https://10.0.0.5/cb",
        "https://172.16.3.4/cb",
        "https://192.168.1.1/cb",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/cb",
        "https://[::1]/cb",
        "https://[::ffff:127.0.0.1]/cb",
        "https://[fd00::1]/cb",
        "https://100.64.0.1/cb",  # carrier-grade NAT
        "https://localhost/cb",  # resolves to loopback
        "https:///cb",
    ],
)
def test_refused(url):
    with pytest.raises(UnsafeUrl):
        check_callback_url(url)


def test_public_addresses_pass():
    check_callback_url("https://93.184.216.34/cb")
    check_callback_url("https://[2606:2800:220:1:248:1893:25c8:1946]:8443/cb")


def fake_dns(*addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses
        ]

    return getaddrinfo


def test_every_resolved_address_must_be_public(monkeypatch):
    monkeypatch.setattr(urlguard.socket, "getaddrinfo", fake_dns("93.184.216.34", "10.0.0.1"))
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.1"):
        check_callback_url("https://reseller.example/cb")

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", fake_dns("93.184.216.34"))
    check_callback_url("https://reseller.example/cb")


def test_a_host_that_does_not_resolve_may_work_later(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", fail)
    with pytest.raises(UnresolvableUrl):
        check_callback_url("https://reseller.example/cb")


def test_simulators_allow_local_receivers(settings):
    settings.SIMULATORS_ENABLED = True
    check_callback_url("http://127.0.0.1:8001/cb")


@pytest.mark.django_db
def test_the_account_page_refuses_a_private_url(reseller, client):
    client.force_login(reseller)

    reply = client.post("/account/api/callback-url/", {"callback_url": "https://10.0.0.1/hook"})

    assert reply.status_code == 400
    assert "private address" in reply.content.decode()
    assert reseller.reseller_settings.callback_url == ""


@pytest.mark.django_db
def test_a_url_that_became_private_is_not_called(
    funded_reseller, priced_product, settings, django_capture_on_commit_callbacks
):
    from orders.services import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus
    from resellers.models import CallbackAttempt, CallbackDelivery, CallbackStatus, ResellerSettings
    from resellers.services import OrderRequest, api_order_create, reseller_settings_for

    reseller_settings_for(user=funded_reseller)
    ResellerSettings.objects.filter(user=funded_reseller).update(
        callback_url="https://127.0.0.1:9/cb"
    )
    api_order, _ = api_order_create(
        user=funded_reseller,
        ref_id="SSRF",
        request=OrderRequest(product_id=priced_product.pk, customer_data={"user_id": "12345678"}),
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_apply_provider_update(
            order=api_order.order, result=ProviderResult(status=ProviderStatus.SUCCESS)
        )

    assert CallbackDelivery.objects.get().status == CallbackStatus.FAILED
    attempt = CallbackAttempt.objects.get()
    assert attempt.http_status is None
    assert "private address" in attempt.error
