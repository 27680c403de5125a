"""The real HubbleAdapter against the Hubble simulator over HTTP (live_server)."""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.db import connections
from django.utils import timezone

from providers.base import OrderRequest, ProviderStatus, TransientProviderError
from providers.hubble import simulator, simulator_state
from providers.hubble.adapter import HubbleAdapter
from providers.hubble.catalog import BrandDirectory
from providers.hubble.webhook import (
    SIGNATURE_HEADER,
    parse_brand_updated,
    parse_low_balance,
    parse_order_state,
    verify,
)
from providers.models import ProviderCall, SimulatedOrder
from providers.simulators import simulators_resolve_due

pytestmark = pytest.mark.django_db(transaction=True)


def order(reference: str, *, sku="amazon-pay:500", phone="081200000000", **fields) -> OrderRequest:
    return OrderRequest(
        reference=reference,
        sku=sku,
        customer_no="buyer@example.com",
        customer_name="Budi",
        customer_phone=phone,
        **fields,
    )


@pytest.fixture
def callbacks(monkeypatch) -> list[dict]:
    """Callbacks the simulator sends, captured instead of posted."""
    sent: list[dict] = []

    class Reply:
        status_code = 200

    def fake_post(url, *, data, headers, timeout):
        sent.append({"url": url, "body": data, "headers": headers, "timeout": timeout})
        return Reply()

    monkeypatch.setattr(simulator.requests, "post", fake_post)
    return sent


def sim_url(live_server, path: str) -> str:
    return f"{live_server.url}/sim/hubble/v1/partners{path}"


def make_due(reference: str) -> None:
    SimulatedOrder.objects.filter(provider="hubble", reference=reference).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )


def assert_signed_callback(callback: dict, settings, live_server) -> None:
    assert callback["url"] == live_server.url + "/api/webhooks/hubble/order-status"
    assert callback["timeout"] == 5
    assert verify(
        settings.HUBBLE_WEBHOOK_SECRET, callback["body"], callback["headers"][SIGNATURE_HEADER]
    )


# --- auth ---------------------------------------------------------------------------------
def test_login_checks_credentials_and_fields(live_server, settings):
    url = sim_url(live_server, "/auth/login")
    good = {"clientId": settings.HUBBLE_CLIENT_ID, "clientSecret": settings.HUBBLE_CLIENT_SECRET}

    reply = requests.post(url, json=good, timeout=5)
    assert reply.status_code == 200
    assert reply.json()["expiresInSecs"] == 3600
    assert reply.json()["token"]

    wrong = requests.post(url, json={**good, "clientSecret": "nope"}, timeout=5)
    assert wrong.status_code == 401
    assert set(wrong.json()) == {"id", "code", "message", "requestId", "debugMessage", "subErrors"}
    missing = requests.post(url, json={"clientId": good["clientId"]}, timeout=5)
    assert missing.status_code == 400
    assert missing.json()["subErrors"][0]["fieldName"] == "clientSecret"


def test_every_other_endpoint_needs_a_valid_bearer_token(live_server, settings):
    url = sim_url(live_server, "/wallet/balance")
    no_token = requests.get(url, headers={"X-REQUEST-ID": "req-7"}, timeout=5)
    assert no_token.status_code == 401
    assert no_token.json()["requestId"] == "req-7"
    assert (
        requests.get(url, headers={"Authorization": "Bearer made-up"}, timeout=5).status_code == 401
    )

    token, _ = simulator_state.issue_token(settings.HUBBLE_CLIENT_ID)
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).ok
    simulator_state.revoke_token(token)
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code
        == 401
    )


def test_simulator_tokens_expire(live_server, settings, monkeypatch):
    monkeypatch.setattr(simulator_state, "TOKEN_LIFETIME_SECONDS", 1)
    token, lifetime = simulator_state.issue_token(settings.HUBBLE_CLIENT_ID)
    assert lifetime == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(sim_url(live_server, "/wallet/balance"), headers=headers, timeout=5).ok
    time.sleep(1.1)
    expired = requests.get(sim_url(live_server, "/wallet/balance"), headers=headers, timeout=5)
    assert expired.status_code == 401


def test_adapter_renews_an_expiring_token_before_using_it(sim_adapter, monkeypatch):
    monkeypatch.setattr(simulator_state, "TOKEN_LIFETIME_SECONDS", 1)
    sim_adapter.get_balance()
    time.sleep(1.0)  # past the 0.9 s the adapter trusts a 1 s token
    sim_adapter.get_balance()

    assert simulator_state.login_count() == 2
    assert not ProviderCall.objects.filter(http_status=401).exists()  # renewed, not refused


def test_revoked_token_costs_exactly_one_relogin(sim_adapter):
    sim_adapter.get_balance()
    simulator_state.revoke_all_tokens()

    assert sim_adapter.get_balance().amount == Decimal("500000")
    assert simulator_state.login_count() == 2
    assert ProviderCall.objects.filter(endpoint="wallet/balance", http_status=401).count() == 1
    assert ProviderCall.objects.filter(endpoint="wallet/balance", http_status=200).count() == 2


def test_ten_threads_with_an_empty_cache_cause_one_login(sim_adapter, monkeypatch):
    real_issue = simulator_state.issue_token

    def slow_issue(client_id):  # widen the window in which a second login could start
        time.sleep(0.3)
        return real_issue(client_id)

    monkeypatch.setattr(simulator_state, "issue_token", slow_issue)
    barrier = threading.Barrier(10)
    balances: list = []

    def call() -> None:
        try:
            barrier.wait()
            balances.append(HubbleAdapter.from_settings().get_balance().amount)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert balances == [Decimal("500000")] * 10
    assert simulator_state.login_count() == 1
    assert ProviderCall.objects.filter(endpoint="auth/login").count() == 1


# --- catalog and balance ----------------------------------------------------------------------
def test_catalog_over_all_pages(sim_adapter):
    items = {item.sku: item for item in sim_adapter.fetch_catalog()}

    assert ProviderCall.objects.filter(endpoint="products").count() == 3  # 8 brands, 3 a page
    brands = {item.brand for item in items.values()}
    assert brands == {
        "Amazon Pay",
        "Flipkart",
        "Swiggy",
        "Myntra",
        "Google Play",
        "Steam",
        "Zomato",
        "BookMyShow",
    }
    assert {sku for sku in items if sku.startswith("amazon-pay:")} == {
        "amazon-pay:100",
        "amazon-pay:500",
        "amazon-pay:1000",
        "amazon-pay:2000",
    }
    assert items["amazon-pay:500"].cost == Decimal("500.0000")  # the gross amount
    steam = items["steam"]
    assert (steam.denomination_type, steam.min_amount, steam.max_amount) == (
        "flexible",
        Decimal(100),
        Decimal(10000),
    )
    assert steam.cost == Decimal("1.0000")  # gross: 1 per unit of face value
    assert not items["bookmyshow:500"].active
    assert all(item.active for sku, item in items.items() if not sku.startswith("bookmyshow"))


def test_balance(sim_adapter):
    balance = sim_adapter.get_balance()
    assert (balance.amount, balance.currency) == (Decimal("500000"), "INR")


# --- orders ---------------------------------------------------------------------------------
def test_success_idempotent_reference_and_lookups(sim_adapter):
    placed = sim_adapter.place_order(order("TRX-OK-1"))

    assert placed.status == ProviderStatus.SUCCESS
    (voucher,) = placed.vouchers
    assert len(voucher.code) == 16
    assert len(voucher.pin) == 6
    assert voucher.amount == Decimal(500)
    assert voucher.expires_on == timezone.localdate() + timedelta(days=365)
    assert sim_adapter.get_balance().amount == Decimal("499500.00")  # the gross 500

    again = sim_adapter.place_order(order("TRX-OK-1"))  # the same referenceId
    assert again.provider_order_id == placed.provider_order_id
    assert again.vouchers == placed.vouchers
    assert sim_adapter.get_balance().amount == Decimal("499500.00")  # charged once

    by_reference = sim_adapter.check_order(order("TRX-OK-1"))
    by_id = sim_adapter.check_order(order("TRX-OK-1", provider_order_id=placed.provider_order_id))
    assert by_reference.vouchers == by_id.vouchers == placed.vouchers
    assert sim_adapter.check_order(order("TRX-NEVER")).status == ProviderStatus.NOT_FOUND


def test_flexible_order_vouchers_carry_the_amount_as_a_string(sim_adapter):
    result = sim_adapter.place_order(order("TRX-FLEX", sku="steam", amount=Decimal("250")))
    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers[0].amount == Decimal("250.00")
    stored = SimulatedOrder.objects.get(reference="TRX-FLEX")
    assert stored.state["vouchers"][0]["amount"] == "250.00"


def test_call_log_has_the_request_ids_and_no_secrets(sim_adapter, settings):
    result = sim_adapter.place_order(order("TRX-LOG"))

    rows = list(ProviderCall.objects.filter(provider="hubble"))
    assert {row.endpoint for row in rows} == {"auth/login", "products", "orders/create"}
    assert all(len(row.request_id) == 36 for row in rows)
    assert len({row.request_id for row in rows}) == len(rows)
    stored = " ".join(row.request_body + row.response_body for row in rows)
    token = simulator_token_from_cache(sim_adapter)
    for secret in (
        settings.HUBBLE_CLIENT_SECRET,
        token,
        result.vouchers[0].code,
        result.vouchers[0].pin,
    ):
        assert secret not in stored


def simulator_token_from_cache(adapter: HubbleAdapter) -> str:
    from django.core.cache import cache

    return cache.get(adapter.client.tokens.key)["token"]


def test_pending_then_success_with_signed_callback(sim_adapter, callbacks, settings, live_server):
    placed = sim_adapter.place_order(order("TRX-PEND-OK", phone="081200000091"))
    assert placed.status == ProviderStatus.PENDING
    assert placed.vouchers == []
    assert sim_adapter.check_order(order("TRX-PEND-OK")).status == ProviderStatus.PENDING
    assert sim_adapter.get_balance().amount == Decimal("500000")  # not charged yet

    make_due("TRX-PEND-OK")
    assert simulators_resolve_due() == 1

    (callback,) = callbacks
    assert_signed_callback(callback, settings, live_server)
    state = parse_order_state(callback["body"])
    assert (state.order_id, state.status) == (placed.provider_order_id, "SUCCESS")
    assert SimulatedOrder.objects.get(reference="TRX-PEND-OK").callback_sent_at is not None

    final = sim_adapter.check_order(order("TRX-PEND-OK", provider_order_id=state.order_id))
    assert final.status == ProviderStatus.SUCCESS
    assert len(final.vouchers) == 1
    assert sim_adapter.get_balance().amount == Decimal("499500.00")  # the gross 500


def test_pending_then_failure(sim_adapter, callbacks):
    placed = sim_adapter.place_order(order("TRX-PEND-NO", phone="081200000092"))
    assert placed.status == ProviderStatus.PENDING

    make_due("TRX-PEND-NO")
    simulators_resolve_due()

    assert json.loads(callbacks[0]["body"]) == {"id": placed.provider_order_id, "status": "FAILED"}
    final = sim_adapter.check_order(order("TRX-PEND-NO"))
    assert final.status == ProviderStatus.FAILED
    assert final.message
    assert sim_adapter.get_balance().amount == Decimal("500000")


def test_pending_waits_for_its_time_then_a_status_check_resolves_it(
    sim_adapter, callbacks, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 60
    sim_adapter.place_order(order("TRX-LAZY", phone="081200000091"))
    assert simulators_resolve_due() == 0  # not due yet
    assert sim_adapter.check_order(order("TRX-LAZY")).status == ProviderStatus.PENDING

    make_due("TRX-LAZY")
    result = sim_adapter.check_order(order("TRX-LAZY"))  # no resolver run: the check does it

    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers
    assert len(callbacks) == 1
    assert simulators_resolve_due() == 0  # resolved once only


def test_failure_at_once(sim_adapter):
    result = sim_adapter.place_order(order("TRX-FAIL", phone="081200000093"))
    assert result.status == ProviderStatus.FAILED
    assert "could not issue" in result.message
    assert sim_adapter.check_order(order("TRX-FAIL")).status == ProviderStatus.FAILED


def test_scenario_from_email_when_there_is_no_phone(sim_adapter):
    request = OrderRequest(
        reference="TRX-MAIL", sku="amazon-pay:100", customer_no="me93@example.com"
    )
    assert sim_adapter.place_order(request).status == ProviderStatus.FAILED


def test_slow_reply_is_unknown_and_found_by_reference(sim_adapter):
    result = sim_adapter.place_order(order("TRX-SLOW", phone="081200000094"))
    assert (result.status, result.rc) == (ProviderStatus.UNKNOWN, "timeout")
    assert sim_adapter.check_order(order("TRX-SLOW")).status == ProviderStatus.SUCCESS


@pytest.mark.parametrize(("suffix", "rc"), [("95", "E500"), ("96", "E429")])
def test_server_error_and_rate_limit_are_unknown_and_create_nothing(sim_adapter, suffix, rc):
    reference = f"TRX-ERR-{suffix}"
    result = sim_adapter.place_order(order(reference, phone=f"0812000000{suffix}"))
    assert (result.status, result.rc) == (ProviderStatus.UNKNOWN, rc)
    assert sim_adapter.check_order(order(reference)).status == ProviderStatus.NOT_FOUND


@pytest.mark.parametrize(("suffix", "rc"), [("97", "malformed_json"), ("98", "connection_error")])
def test_broken_replies_are_unknown_but_the_order_exists(sim_adapter, suffix, rc):
    reference = f"TRX-BROKEN-{suffix}"
    result = sim_adapter.place_order(order(reference, phone=f"0812000000{suffix}"))
    assert (result.status, result.rc) == (ProviderStatus.UNKNOWN, rc)
    found = sim_adapter.check_order(order(reference))
    assert found.status == ProviderStatus.SUCCESS
    assert found.vouchers


def test_out_of_balance_scenario(sim_adapter):
    result = sim_adapter.place_order(order("TRX-BAL", phone="081200000099"))
    assert (result.status, result.rc) == (ProviderStatus.FAILED, "E300")
    assert result.provider_out_of_balance
    assert sim_adapter.check_order(order("TRX-BAL")).status == ProviderStatus.NOT_FOUND


def test_wallet_runs_dry(sim_adapter):
    simulator_state.set_wallet_balance(Decimal("600"))
    assert sim_adapter.place_order(order("TRX-W1")).status == ProviderStatus.SUCCESS
    second = sim_adapter.place_order(order("TRX-W2"))
    assert (second.status, second.provider_out_of_balance) == (ProviderStatus.FAILED, True)
    assert sim_adapter.get_balance().amount == Decimal("100.00")  # debited the gross 500


# --- the simulator's own validation (the adapter's checks bypassed) ---------------------------
class _NoBrandList(BrandDirectory):
    """A brand list that cannot be read: the adapter then sends orders unchecked."""

    def get(self, brand_id: str) -> dict | None:
        raise TransientProviderError("brand list unavailable")


def _unchecked(adapter: HubbleAdapter) -> HubbleAdapter:
    adapter.brands = _NoBrandList(key="none", load=list)
    return adapter


@pytest.mark.parametrize(
    ("request_fields", "rc"),
    [
        ({"sku": "amazon-pay:250"}, "E150"),
        ({"sku": "steam", "amount": Decimal("50")}, "E155"),
        ({"sku": "nope:100"}, "E001"),
        ({"sku": "bookmyshow:500"}, "E102"),
    ],
)
def test_simulator_rejects_what_hubble_rejects(sim_adapter, request_fields, rc):
    result = _unchecked(sim_adapter).place_order(order("TRX-BAD", **request_fields))
    assert (result.status, result.rc) == (ProviderStatus.FAILED, rc)
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"amount": 600}, "E151"),
        ({"denominationDetails": [{"denomination": 100, "quantity": 6}], "amount": 600}, "E154"),
        ({"referenceId": "R" * 41}, "E157"),
        ({"productId": ""}, "E157"),
    ],
)
def test_simulator_order_body_validation(sim_adapter, change, error_id):
    body = {
        "productId": "amazon-pay",
        "referenceId": "TRX-BODY",
        "amount": 500,
        "denominationDetails": [{"denomination": 500, "quantity": 1}],
        "customerDetails": {"name": "", "phoneNumber": "", "email": "a@example.com"},
        **change,
    }
    reply = sim_adapter.client.create_order(body, reference="TRX-BODY")
    assert reply.status in (400, 404)
    assert reply.json()["id"] == error_id


def test_multi_voucher_order_from_the_simulator(sim_adapter):
    body = {
        "productId": "amazon-pay",
        "referenceId": "TRX-MULTI",
        "amount": 1200,
        "denominationDetails": [
            {"denomination": 100, "quantity": 2},
            {"denomination": 1000, "quantity": 1},
        ],
        "customerDetails": {"name": "", "phoneNumber": "", "email": "a@example.com"},
    }
    reply = sim_adapter.client.create_order(body, reference="TRX-MULTI")
    assert reply.status == 200
    assert sorted(voucher["amount"] for voucher in reply.json()["vouchers"]) == [100, 100, 1000]


# --- other callbacks --------------------------------------------------------------------------
def test_brand_updated_and_low_balance_callbacks(callbacks, settings):
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://shop.test"
    simulator.send_brand_updated("amazon-pay", status="INACTIVE")
    simulator_state.set_wallet_balance(Decimal("50"))
    simulator.send_low_balance()

    brand_cb, balance_cb = callbacks
    for callback in callbacks:
        assert verify(
            settings.HUBBLE_WEBHOOK_SECRET, callback["body"], callback["headers"]["X-Verify"]
        )
    assert brand_cb["url"] == "http://shop.test/api/webhooks/hubble/brand-updated"
    brand = parse_brand_updated(brand_cb["body"])
    assert (brand.brand_id, brand.status) == ("amazon-pay", "INACTIVE")
    assert brand.denominations == [Decimal(100), Decimal(500), Decimal(1000), Decimal(2000)]
    assert balance_cb["url"] == "http://shop.test/api/webhooks/hubble/low-balance"
    low = parse_low_balance(balance_cb["body"])
    assert (low.balance, low.threshold) == (Decimal(50), Decimal(100))


def test_the_demo_brand_images_are_served_by_the_simulator(client):
    from providers.hubble import simulator_catalog

    brand = simulator_catalog.all_brands()[0]

    image = client.get(brand["logoUrl"])
    missing = client.get("/sim/hubble/images/no-such-brand.svg")

    assert image.status_code == 200
    assert image["Content-Type"] == "image/svg+xml"
    assert b"<svg" in image.content
    assert missing.status_code == 404
