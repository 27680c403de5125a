"""The real VIP Reseller adapter against its simulator over real HTTP (live_server): catalog
sync, balance, every order scenario, status checks, get-nickname and the callback sent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Brand, InputSchema, Product, SyncRun
from providers.base import (
    AccountNotFound,
    FinalProviderError,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
)
from providers.defaults import provider_ensure
from providers.models import ProviderCall, SimulatedOrder
from providers.registry import get_adapter
from providers.simulators import simulators_resolve_due
from providers.sync import catalog_sync
from providers.vipreseller import simulator
from providers.vipreseller.adapter import NO_TRXID_MESSAGE, VipResellerAdapter
from tests.catalog.factories import PricingRuleFactory

ML86 = "MLA86-S1"  # premium price 19,943
FF70 = "FF70-S1"  # premium price 9,114
CODM420 = "CODM420-S1"  # empty


@pytest.fixture
def adapter(live_server, settings) -> VipResellerAdapter:
    settings.VIPRESELLER_BASE_URL = live_server.url + "/sim/vipreseller/api"
    settings.VIPRESELLER_API_ID = "sim-vip-id"
    settings.VIPRESELLER_API_KEY = "sim-vip-key"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    return VipResellerAdapter.from_settings()


def place(adapter, user_id: str, zone: str = "", sku: str = ML86, reference: str = "TRX-VIP-1"):
    data = {"user_id": user_id, **({"zone_id": zone} if zone else {})}
    request = OrderRequest(reference=reference, sku=sku, customer_no=user_id, customer_data=data)
    return request, adapter.place_order(request)


def check(adapter, request: OrderRequest, trxid: str):
    return adapter.check_order(OrderRequest(**{**request.__dict__, "provider_order_id": trxid}))


def sim(trxid: str) -> SimulatedOrder:
    return SimulatedOrder.objects.get(provider="vipreseller", external_id=trxid)


def test_the_registry_builds_it(adapter):
    assert isinstance(get_adapter("vipreseller"), VipResellerAdapter)


def test_a_wrong_key_is_refused(adapter, settings):
    settings.VIPRESELLER_API_KEY = "another"  # the simulator checks this; the adapter has the old
    with pytest.raises(FinalProviderError, match="API Key salah"):
        adapter.get_balance()
    _, result = place(adapter, "12345678", "2685")
    assert result.status == ProviderStatus.FAILED
    assert not SimulatedOrder.objects.exists()


def test_balance_and_catalog(adapter):
    assert adapter.get_balance().amount == Decimal(simulator.STARTING_BALANCE)
    items = {item.sku: item for item in adapter.fetch_catalog()}
    assert len(items) == len(simulator.SERVICES)
    assert items[ML86].cost == Decimal("19943")  # the simulator's account is Premium
    assert items[ML86].brand == "Mobile Legends"
    assert items["MLB1048B-S1"].brand == "Mobile Legends"
    assert items[CODM420].active is False


def test_catalog_sync_against_the_simulator(adapter, db):
    PricingRuleFactory(percent=Decimal("10"))
    provider = provider_ensure("vipreseller")

    run = catalog_sync(provider=provider)

    assert run.status == SyncRun.Status.SUCCESS, run.message
    products = Product.objects.filter(provider=provider)
    assert products.count() == len(simulator.SERVICES)
    ml = products.get(provider_sku=ML86)
    assert ml.cost == Decimal("19943")
    assert ml.brand.name == "Mobile Legends"
    assert ml.brand.input_schema == InputSchema.MOBILE_LEGENDS
    assert products.filter(brand=ml.brand).count() == 4  # Mobile Legends A and B: one brand
    assert Brand.objects.get(slug="free-fire").input_schema == InputSchema.FREE_FIRE
    assert not products.get(provider_sku=CODM420).provider_active
    again = catalog_sync(provider=provider)
    assert again.status == SyncRun.Status.SUCCESS
    assert (again.created, again.updated) == (0, 0)


def test_success_at_once_charges_the_balance_and_delivers_a_serial(adapter):
    request, result = place(adapter, "12345678", "2685")

    assert result.status == ProviderStatus.SUCCESS
    assert len(result.vouchers[0].serial) == 16
    order = sim(result.provider_order_id)
    assert order.state["data_no"] == "12345678"
    assert order.state["data_zone"] == "2685"
    assert adapter.get_balance().amount == Decimal(simulator.STARTING_BALANCE - 19943)
    assert check(adapter, request, result.provider_order_id).status == ProviderStatus.SUCCESS
    call = ProviderCall.objects.filter(endpoint="order").get()
    assert call.reference == request.reference
    assert "sim-vip-key" not in call.request_body


def test_pending_then_success_through_the_resolver_with_the_callback(adapter):
    request, result = place(adapter, "12345678", "2691")
    assert result.status == ProviderStatus.PENDING
    assert result.rc == "waiting"
    trxid = result.provider_order_id
    second = check(adapter, request, trxid)
    assert (second.status, second.rc) == (ProviderStatus.PENDING, "processing")

    SimulatedOrder.objects.filter(external_id=trxid).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    assert simulators_resolve_due() == 1

    assert sim(trxid).callback_sent_at is not None
    done = check(adapter, request, trxid)
    assert done.status == ProviderStatus.SUCCESS
    assert done.vouchers


def test_pending_then_error_gives_the_money_back(adapter):
    request, result = place(adapter, "555666792", sku=FF70)
    assert result.status == ProviderStatus.PENDING
    assert adapter.get_balance().amount == Decimal(simulator.STARTING_BALANCE - 9114)
    SimulatedOrder.objects.filter(external_id=result.provider_order_id).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    failed = check(adapter, request, result.provider_order_id)  # resolved lazily
    assert failed.status == ProviderStatus.FAILED
    assert failed.message == simulator.FAILURE_NOTE
    assert adapter.get_balance().amount == Decimal(simulator.STARTING_BALANCE)
    assert simulators_resolve_due() == 0


def test_error_at_once_is_a_final_failure(adapter):
    _, result = place(adapter, "12345678", "2693")
    assert result.status == ProviderStatus.FAILED
    assert result.failure_kind == "account"
    assert adapter.get_balance().amount == Decimal(simulator.STARTING_BALANCE)


def test_out_of_balance_and_an_empty_service_are_refused(adapter):
    _, result = place(adapter, "12345699")
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance
    _, result = place(adapter, "12345678", sku=CODM420)
    assert result.status == ProviderStatus.FAILED
    assert not result.provider_out_of_balance
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize(("suffix", "made"), [("95", False), ("96", False), ("98", True)])
def test_lost_replies_are_unknown_and_never_sent_again(adapter, suffix, made):
    request, result = place(adapter, f"123456{suffix}")
    assert result.status == ProviderStatus.UNKNOWN
    assert NO_TRXID_MESSAGE in result.message
    assert ProviderCall.objects.filter(endpoint="order").count() == 1
    assert SimulatedOrder.objects.exists() is made
    # No trxid to look it up by: the shop cannot tell, so it waits (never NOT_FOUND).
    assert adapter.check_order(request).status == ProviderStatus.UNKNOWN


def test_a_garbled_reply_after_the_order_is_made_is_unknown(adapter):
    _, result = place(adapter, "12345697")
    assert result.status == ProviderStatus.UNKNOWN
    assert SimulatedOrder.objects.count() == 1


def test_the_latest_transactions_are_listed_without_a_trxid(adapter):
    place(adapter, "12345678", reference="TRX-A")
    place(adapter, "87654321", reference="TRX-B")
    reply = adapter.client.http.request(
        "POST",
        f"{adapter.client.base_url}/game-feature",
        endpoint="status",
        data={"key": "sim-vip-key", "sign": adapter.client.sign(), "type": "status", "limit": "5"},
    )
    assert [row["data"] for row in reply.json()["data"]] == ["87654321", "12345678"]


# --- get-nickname -----------------------------------------------------------------------------


def test_a_valid_looking_id_gets_a_stable_nickname(adapter):
    fields = {"user_id": "136216325", "zone_id": "2685"}
    first = adapter.account_lookup(
        brand="Mobile Legends", input_schema=InputSchema.GAME_WITH_ZONE, fields=fields
    )
    again = adapter.account_lookup(
        brand="MOBILE LEGENDS", input_schema=InputSchema.GAME_WITH_ZONE, fields=fields
    )
    other = adapter.account_lookup(
        brand="Mobile Legends",
        input_schema=InputSchema.GAME_WITH_ZONE,
        fields={"user_id": "136216325", "zone_id": "2686"},
    )
    assert (
        first.name == again.name == simulator.fake_nickname("mobile-legends", "136216325", "2685")
    )
    assert other.name != first.name


def test_the_documented_test_id_is_not_found(adapter):
    with pytest.raises(AccountNotFound):
        adapter.account_lookup(
            brand="Free Fire",
            input_schema=InputSchema.GAME,
            fields={"user_id": simulator.NOT_FOUND_TARGET},
        )


@pytest.mark.parametrize("user_id", ["12345695", "12345696"])
def test_a_lookup_outage_is_transient(adapter, user_id):
    with pytest.raises(TransientProviderError):
        adapter.account_lookup(
            brand="Free Fire", input_schema=InputSchema.GAME, fields={"user_id": user_id}
        )
