"""The real FoxReload adapter against its simulator over real HTTP (live_server)."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from providers.base import FinalProviderError, OrderRequest, ProviderStatus
from providers.foxreload import simulator
from providers.foxreload.adapter import NO_ORDER_ID_MESSAGE, FoxReloadAdapter
from providers.models import ProviderCall, SimulatedOrder
from providers.registry import get_adapter
from providers.simulators import simulators_resolve_due

PUBG_60 = "product_01krgfgww8eth9xvvysd6y7r4j"  # USD 0.99
GENESIS_980 = "product_01krgfhm2a5c9e3g7jd1q4r8ne"  # USD 14.99
CODM_420 = "product_01krgfjd6x2z7c1f5sk8e3g6vm"  # out of stock


@pytest.fixture
def adapter(live_server, settings) -> FoxReloadAdapter:
    settings.FOXRELOAD_BASE_URL = live_server.url + "/sim/foxreload"
    settings.FOXRELOAD_API_KEY = "sim-foxreload-key"
    settings.FOXRELOAD_MOCK = False
    return FoxReloadAdapter.from_settings()


def place(
    adapter, player_id: str, sku: str = PUBG_60, reference: str = "TRX-20261123-AAAAAA", **fields
):
    request = OrderRequest(
        reference=reference, sku=sku, customer_no=player_id, customer_data=fields
    )
    return request, adapter.place_order(request)


def looked_up(adapter, request: OrderRequest, order_id: str):
    return adapter.check_order(
        OrderRequest(
            reference=request.reference,
            sku=request.sku,
            customer_no=request.customer_no,
            provider_order_id=order_id,
        )
    )


def sim_order(order_id: str) -> SimulatedOrder:
    return SimulatedOrder.objects.get(provider="foxreload", external_id=order_id)


def test_registry_builds_the_foxreload_adapter(adapter):
    assert isinstance(get_adapter("foxreload"), FoxReloadAdapter)


def test_catalog_pages_through_every_category(adapter):
    items = {item.sku: item for item in adapter.fetch_catalog()}
    assert len(items) == 12
    brands = {item.brand for item in items.values()}
    assert brands == {
        "PUBG Mobile",
        "Genshin Impact",
        "Valorant",
        "Honkai: Star Rail",
        "Call of Duty Mobile",
    }
    assert {item.category for item in items.values()} == {"Game top-ups"}
    assert items[PUBG_60].cost == Decimal("0.99")
    assert items[PUBG_60].currency == "USD"
    assert items[PUBG_60].input_schema == "game"
    assert items[CODM_420].active is False
    assert sum(item.active for item in items.values()) == 11
    # the simulator pages by two: six categories take three pages, three PUBG products two
    assert ProviderCall.objects.filter(endpoint="categories").count() == 3
    assert ProviderCall.objects.filter(endpoint="products").count() == 7


def test_a_wrong_api_key_is_refused_with_401(adapter, settings):
    settings.FOXRELOAD_API_KEY = "another-key"  # the simulator checks this; the adapter has the old
    with pytest.raises(FinalProviderError, match="Invalid or missing API key"):
        adapter.fetch_catalog()
    _, result = place(adapter, "5123456")
    assert result.status == ProviderStatus.FAILED
    assert result.rc == "401"
    assert not SimulatedOrder.objects.exists()


def test_success_creates_pays_and_delivers_a_code(adapter):
    request, result = place(adapter, "5123456")

    assert result.status == ProviderStatus.SUCCESS
    assert len(result.vouchers) == 1
    assert result.vouchers[0].code.startswith("FOX-")
    order = sim_order(result.provider_order_id)
    assert order.reference == result.provider_order_id
    assert order.state["player_id"] == "5123456"
    assert order.state["history"] == ["active", "paid", "processing", "completed"]
    assert simulator.simulated_balance() == Decimal("999.01")

    calls = list(ProviderCall.objects.order_by("pk"))
    assert [c.endpoint for c in calls] == ["orders.create", "orders.pay", "orders.get"]
    assert [c.http_status for c in calls] == [201, 200, 200]
    assert [c.request_id for c in calls[:2]] == order.state["request_ids"]
    assert all(c.reference == request.reference for c in calls)
    stored = " ".join(c.request_body + c.response_body for c in calls)
    assert result.vouchers[0].code not in stored
    assert "sim-foxreload-key" not in stored
    assert '"player_id": "5123456"' in calls[0].request_body


def test_mock_orders_get_fake_codes_and_cost_nothing(adapter, settings):
    settings.FOXRELOAD_MOCK = True
    result = FoxReloadAdapter.from_settings().place_order(
        OrderRequest(
            reference="TRX-MOCK",
            sku=GENESIS_980,
            customer_no="5123456",
            customer_data={"user_id": "5123456", "server": "os_asia"},  # Genshin asks for both
        )
    )
    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers[0].code.startswith("MOCK-")
    assert sim_order(result.provider_order_id).request["isMock"] is True
    assert simulator.simulated_balance() == Decimal("1000.00")


def test_pending_then_success_through_the_periodic_resolver(adapter):
    request, result = place(adapter, "12345691")
    assert result.status == ProviderStatus.PENDING
    order_id = result.provider_order_id
    assert looked_up(adapter, request, order_id).status == ProviderStatus.PENDING

    SimulatedOrder.objects.filter(external_id=order_id).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    assert simulators_resolve_due() == 1

    done = looked_up(adapter, request, order_id)
    assert done.status == ProviderStatus.SUCCESS
    assert done.vouchers[0].code.startswith("FOX-")
    assert sim_order(order_id).state["history"][-1] == "completed"


def test_pending_then_failure_resolved_lazily_by_a_status_check(adapter, settings):
    request, result = place(
        adapter, "12345692", sku=GENESIS_980, user_id="12345692", server="os_asia"
    )
    assert result.status == ProviderStatus.PENDING
    assert simulator.simulated_balance() == Decimal("985.01")  # charged while processing

    SimulatedOrder.objects.filter(external_id=result.provider_order_id).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    failed = looked_up(adapter, request, result.provider_order_id)
    assert failed.status == ProviderStatus.FAILED
    assert "Supplier fulfilment failed" in failed.message
    assert simulator.simulated_balance() == Decimal("1000.00")  # given back
    assert simulators_resolve_due() == 0  # already resolved: nothing twice


def test_failure_at_once(adapter):
    _, result = place(adapter, "12345693")
    assert result.status == ProviderStatus.FAILED
    assert "Supplier fulfilment failed" in result.message
    assert simulator.simulated_balance() == Decimal("1000.00")


def test_scripted_balance_not_enough_fails_out_of_balance_and_cancels(adapter):
    request, result = place(adapter, "12345699")
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance is True
    assert result.rc == "BalanceNotEnough"
    later = looked_up(adapter, request, result.provider_order_id)
    assert later.status == ProviderStatus.FAILED
    assert "payment_failure" in later.message
    assert later.provider_out_of_balance is True


def test_a_real_shortfall_of_the_simulated_balance_is_balance_not_enough(adapter):
    SimulatedOrder.objects.create(
        provider="foxreload",
        reference="earlier",
        external_id="earlier",
        status="completed",
        state={"charged": "999.50"},
    )
    _, result = place(adapter, "5123456")  # costs 0.99, 0.50 left
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance is True


def test_slow_pay_times_out_as_unknown_then_check_order_finds_it(adapter):
    request, result = place(adapter, "12345694")
    assert result.status == ProviderStatus.UNKNOWN
    assert result.rc == "timeout"
    assert result.provider_order_id
    found = looked_up(adapter, request, result.provider_order_id)
    assert found.status == ProviderStatus.SUCCESS
    assert len(found.vouchers) == 1


def test_server_error_on_create_is_unknown_and_no_order_exists(adapter):
    request, result = place(adapter, "12345695")
    assert result.status == ProviderStatus.UNKNOWN
    assert result.rc == "500"
    assert result.provider_order_id == ""
    assert not SimulatedOrder.objects.exists()
    check = adapter.check_order(request)
    assert check.status == ProviderStatus.NOT_FOUND  # never paid there: create it again
    assert check.message == NO_ORDER_ID_MESSAGE


def test_84_create_times_out_after_the_order_exists_and_a_second_create_answers(adapter, settings):
    assert settings.PROVIDER_READ_TIMEOUT < settings.SIMULATOR_SLOW_SECONDS
    request, result = place(adapter, "12345684")
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id == ""
    stranded = SimulatedOrder.objects.get()
    assert stranded.status == "active"  # created, never paid
    assert adapter.check_order(request).status == ProviderStatus.NOT_FOUND

    _, again = place(adapter, "12345684")

    assert again.status == ProviderStatus.SUCCESS
    assert SimulatedOrder.objects.get(external_id=again.provider_order_id).status == "completed"
    stranded.refresh_from_db()
    assert (stranded.status, stranded.state["charged"]) == ("active", "0")


def test_rate_limited_create_is_unknown_and_not_repeated(adapter):
    _, result = place(adapter, "12345696")
    assert result.status == ProviderStatus.UNKNOWN
    assert result.rc == "429"
    assert ProviderCall.objects.filter(endpoint="orders.create").count() == 1


@pytest.mark.parametrize("player_id", ["12345697", "12345698"], ids=["malformed", "reset"])
def test_broken_pay_reply_is_unknown_then_check_order_finds_it(adapter, player_id):
    request, result = place(adapter, player_id)
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id
    assert ProviderCall.objects.filter(endpoint="orders.pay").count() == 1
    found = looked_up(adapter, request, result.provider_order_id)
    assert found.status == ProviderStatus.SUCCESS
    assert simulator.simulated_balance() == Decimal("999.01")


def test_an_order_is_paid_once_and_never_moves_back(adapter):
    _, result = place(adapter, "5123456")
    reply = adapter.client.pay_order(
        result.provider_order_id, payment_provider="pally", return_url="x", reference="again"
    )
    assert reply.status == 400
    assert json.loads(reply.content)["detail"] == "Order is not awaiting payment"
    assert sim_order(result.provider_order_id).status == "completed"
    assert simulator.simulated_balance() == Decimal("999.01")


def test_an_unpaid_order_expires_as_cancelled(adapter):
    reply = adapter.client.create_order(
        item_id=PUBG_60, note={"player_id": "5123456"}, is_mock=False, reference="TRX-UNPAID"
    )
    assert reply.status == 201
    body = json.loads(reply.content)
    assert body["status"] == "active"
    assert body["paymentExpiresAt"]
    order = sim_order(body["id"])
    order.state["paymentExpiresAt"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    order.save()
    request = OrderRequest(reference="TRX-UNPAID", sku=PUBG_60, customer_no="5123456")
    result = looked_up(adapter, request, body["id"])
    assert result.status == ProviderStatus.FAILED
    assert "payment_expiration" in result.message


def test_unknown_order_id_is_not_found(adapter):
    request = OrderRequest(reference="TRX-NONE", sku=PUBG_60, customer_no="5123456")
    result = looked_up(adapter, request, "00000000-0000-4000-8000-000000000000")
    assert result.status == ProviderStatus.NOT_FOUND


def test_create_validates_the_order_like_the_real_api(adapter):
    client = adapter.client
    out_of_stock = client.create_order(
        item_id=CODM_420, note={"player_id": "5123456"}, is_mock=False, reference="r"
    )
    assert out_of_stock.status == 400
    unknown = client.create_order(
        item_id="product_nope", note={"player_id": "1"}, is_mock=False, reference="r"
    )
    assert unknown.status == 400
    no_player = client.create_order(
        item_id=PUBG_60, note={"player_id": ""}, is_mock=False, reference="r"
    )
    assert no_player.status == 422
    assert not SimulatedOrder.objects.exists()
