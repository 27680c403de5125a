"""The SSRF guard on callback URLs, as in production (simulators off)."""

import socket

import pytest

from resellers import urlguard
from resellers.urlguard import UnresolvableUrl, UnsafeUrl, callback_target, check_callback_url


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
        # IPv6 forms that reach an IPv4 address, or are deprecated: judged by what is reached
        "https://[::ffff:10.0.0.1]/cb",  # IPv4-mapped private
        "https://[::ffff:169.254.169.254]/cb",  # IPv4-mapped metadata service
        "https://[::ffff:0:7f00:1]/cb",  # IPv4-translated (SIIT) loopback
        "https://[::127.0.0.1]/cb",  # IPv4-compatible (deprecated)
        "https://[::5db8:d822]/cb",  # IPv4-compatible, even of a public address
        "https://[2002:7f00:1::1]/cb",  # 6to4 of 127.0.0.1
        "https://[2002:a9fe:a9fe::1]/cb",  # 6to4 of 169.254.169.254
        "https://[2002:5db8:d822::1]/cb",  # 6to4 (deprecated, RFC 7526) even of a public one
        "https://[fec0::1]/cb",  # site-local (deprecated, RFC 3879)
        "https://[fec0:1234::5]/cb",
        "https://[feff::1]/cb",  # the end of fec0::/10
        "https://[64:ff9b::7f00:1]/cb",  # NAT64 of 127.0.0.1
        "https://[64:ff9b::a00:1]/cb",  # NAT64 of 10.0.0.1
        "https://[64:ff9b::a9fe:a9fe]/cb",  # NAT64 of 169.254.169.254
        "https://[64:ff9b:1::5db8:d822]/cb",  # local-use NAT64 (RFC 8215)
        "https://[2001::1]/cb",  # Teredo
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/cb",  # Teredo with public parts
        "https://[2001:0:a00:1::1]/cb",  # Teredo of a private server
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
    # What is reached is a public IPv4 address: mapped, or through a NAT64 translator.
    check_callback_url("https://[::ffff:93.184.216.34]/cb")
    check_callback_url("https://[64:ff9b::5db8:d822]/cb")


@pytest.mark.parametrize(
    "address",
    ["2002:7f00:1::1", "fec0::1", "64:ff9b::a00:1", "2001::1", "::ffff:192.168.0.1"],
)
def test_a_name_resolving_to_a_hidden_private_address_is_refused(monkeypatch, address):
    monkeypatch.setattr(urlguard, "resolve_host", fake_dns(["93.184.216.34", address]))

    with pytest.raises(UnsafeUrl, match="resolves to a private address"):
        check_callback_url("https://reseller.example/cb")


def fake_dns(*answers):
    """Stands in for the outside world's DNS: each lookup gives the next answer (then the
    last one again); records the names looked up."""
    lookups = []

    def resolve_host(host, port):
        lookups.append(host)
        return list(answers[min(len(lookups), len(answers)) - 1])

    resolve_host.lookups = lookups
    return resolve_host


def test_every_resolved_address_must_be_public(monkeypatch):
    monkeypatch.setattr(urlguard, "resolve_host", fake_dns(["93.184.216.34", "10.0.0.1"]))
    with pytest.raises(UnsafeUrl, match=r"resolves to a private address \(10\.0\.0\.1\)"):
        check_callback_url("https://reseller.example/cb")

    monkeypatch.setattr(urlguard, "resolve_host", fake_dns(["93.184.216.34"]))
    check_callback_url("https://reseller.example/cb")


def test_a_host_that_does_not_resolve_may_work_later(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(urlguard, "resolve_host", fail)
    with pytest.raises(UnresolvableUrl):
        check_callback_url("https://reseller.example/cb")


def test_the_target_keeps_every_checked_address(monkeypatch):
    monkeypatch.setattr(
        urlguard, "resolve_host", fake_dns(["2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34"])
    )

    target = callback_target("https://reseller.example:8443/cb?x=1")

    assert target.addresses == ("2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34")
    assert (
        target.url_at(target.addresses[0])
        == "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/cb?x=1"
    )
    assert target.url_at("93.184.216.34") == "https://93.184.216.34:8443/cb?x=1"
    assert target.host_header == "reseller.example:8443"
    assert callback_target("https://reseller.example/cb").host_header == "reseller.example"


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
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus
    from resellers.models import CallbackAttempt, CallbackDelivery, CallbackStatus, ResellerSettings
    from resellers.services import ApiOrderRequest, api_order_create, reseller_settings_for

    reseller_settings_for(user=funded_reseller)
    ResellerSettings.objects.filter(user=funded_reseller).update(
        callback_url="https://127.0.0.1:9/cb"
    )
    api_order, _ = api_order_create(
        user=funded_reseller,
        ref_id="SSRF",
        request=ApiOrderRequest(
            product_id=priced_product.pk, customer_data={"user_id": "12345678"}
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_apply_provider_update(
            order=api_order.order, result=ProviderResult(status=ProviderStatus.SUCCESS)
        )

    assert CallbackDelivery.objects.get().status == CallbackStatus.FAILED
    attempt = CallbackAttempt.objects.get()
    assert attempt.http_status is None
    assert "private address" in attempt.error


def send_callback(reseller, product, url, capture):
    """An API order whose reseller's callback URL is `url`, finished: one callback try."""
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus
    from resellers.models import ResellerSettings
    from resellers.services import ApiOrderRequest, api_order_create, reseller_settings_for

    reseller_settings_for(user=reseller)
    ResellerSettings.objects.filter(user=reseller).update(callback_url=url)
    api_order, _ = api_order_create(
        user=reseller,
        ref_id="PIN",
        request=ApiOrderRequest(product_id=product.pk, customer_data={"user_id": "12345678"}),
    )
    with capture(execute=True):
        order_apply_provider_update(
            order=api_order.order, result=ProviderResult(status=ProviderStatus.SUCCESS)
        )


@pytest.fixture
def dialled(monkeypatch):
    """The network: records every TCP connection the shop opens and refuses it."""
    import urllib3.util.connection

    calls = []

    def create_connection(address, *args, **kwargs):
        calls.append(address)
        raise ConnectionRefusedError(f"refused by the test network: {address}")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return calls


@pytest.mark.django_db
def test_a_rebinding_name_is_resolved_once_and_the_checked_address_is_dialled(
    funded_reseller, priced_product, monkeypatch, dialled, django_capture_on_commit_callbacks
):
    from resellers.models import CallbackAttempt, CallbackDelivery, CallbackStatus

    # Public when checked, loopback on any later lookup.
    dns = fake_dns(["93.184.216.34"], ["127.0.0.1"])
    monkeypatch.setattr(urlguard, "resolve_host", dns)

    send_callback(
        funded_reseller,
        priced_product,
        "https://rebind.example/cb",
        django_capture_on_commit_callbacks,
    )

    assert dns.lookups == ["rebind.example"]
    assert dialled == [("93.184.216.34", 443)]
    attempt = CallbackAttempt.objects.get()
    assert attempt.will_retry  # a refused connection may work later
    assert "refused by the test network" in attempt.error
    assert CallbackDelivery.objects.get().status == CallbackStatus.PENDING


@pytest.mark.django_db
def test_a_name_that_resolves_to_loopback_is_never_dialled(
    funded_reseller, priced_product, monkeypatch, dialled, django_capture_on_commit_callbacks
):
    from resellers.models import CallbackAttempt, CallbackDelivery, CallbackStatus

    monkeypatch.setattr(urlguard, "resolve_host", fake_dns(["127.0.0.1"]))

    send_callback(
        funded_reseller,
        priced_product,
        "https://rebind.example/cb",
        django_capture_on_commit_callbacks,
    )

    assert dialled == []
    assert CallbackDelivery.objects.get().status == CallbackStatus.FAILED
    attempt = CallbackAttempt.objects.get()
    assert attempt.error == "The host rebind.example resolves to a private address (127.0.0.1)."
    assert not attempt.will_retry


def test_pinned_post_connects_to_the_address_and_sends_the_host_name(receiver):
    # `callbacks.test` resolves nowhere: the request can only arrive through the pin.
    port = receiver.server.server_port
    target = urlguard.CallbackTarget(
        url=f"http://callbacks.test:{port}/callback",
        host="callbacks.test",
        port=port,
        addresses=("127.0.0.1",),
    )

    reply = urlguard.pinned_post(target, data=b"{}", headers={}, timeout=5)

    assert reply.status_code == 200
    [request] = receiver.requests
    assert request["headers"]["host"] == f"callbacks.test:{port}"


@pytest.fixture
def tls_receiver():
    """An https receiver on 127.0.0.1 with a certificate for `callbacks.test` only, from a
    throwaway CA; records the SNI names it is sent."""
    import ssl

    import trustme

    from tests.resellers.conftest import Receiver

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("callbacks.test").configure_cert(context)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    receiver = Receiver(ssl_context=context)
    with ca.cert_pem.tempfile() as ca_file:
        yield receiver, ca_file, server_names
    receiver.close()


def test_pinned_tls_checks_the_certificate_for_the_host_name(tls_receiver):
    import requests

    receiver, ca_file, server_names = tls_receiver
    port = receiver.server.server_port

    def target(host):
        return urlguard.CallbackTarget(
            url=f"https://{host}:{port}/callback", host=host, port=port, addresses=("127.0.0.1",)
        )

    reply = urlguard.pinned_post(
        target("callbacks.test"), data=b"{}", headers={}, timeout=5, verify=ca_file
    )

    assert reply.status_code == 200
    assert server_names == ["callbacks.test"]
    assert receiver.requests[0]["headers"]["host"] == f"callbacks.test:{port}"
    # The same address under a name the certificate does not carry: refused by TLS.
    with pytest.raises(requests.exceptions.SSLError, match=r"other\.test"):
        urlguard.pinned_post(
            target("other.test"), data=b"{}", headers={}, timeout=5, verify=ca_file
        )
    assert len(receiver.requests) == 1


def test_the_next_checked_address_is_tried_when_one_refuses(receiver):
    port = receiver.server.server_port
    # Nothing listens on 127.0.0.2 (the receiver is bound to 127.0.0.1 only).
    target = urlguard.CallbackTarget(
        url=f"http://callbacks.test:{port}/callback",
        host="callbacks.test",
        port=port,
        addresses=("127.0.0.2", "127.0.0.1"),
    )

    reply = urlguard.pinned_post(target, data=b"{}", headers={}, timeout=5)

    assert reply.status_code == 200
    assert len(receiver.requests) == 1
