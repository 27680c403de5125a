"""How the FoxReload adapter writes the buyer's fields into the order item's `note`, as its
simulator receives and checks them (docs/providers/foxreload.md)."""

import json

import pytest

from providers.base import OrderRequest, ProviderStatus
from providers.foxreload.adapter import FoxReloadAdapter, order_note
from providers.models import ProviderCall, SimulatedOrder

pytestmark = pytest.mark.django_db(transaction=True)

GENESIS_60 = "product_01krgfhc1w4x8z2q6gb3n5j7kc"
VALORANT_475 = "product_01krgfhr7d1f5h9k3me6s2t4pf"
PUBG_60 = "product_01krgfgww8eth9xvvysd6y7r4j"


@pytest.mark.parametrize(
    ("stored", "fields", "note"),
    [
        ("51234567", {"user_id": "51234567"}, {"player_id": "51234567"}),
        (
            "812345678-os_asia",
            {"user_id": "812345678", "server": "os_asia"},
            {"player_id": "812345678", "server": "os_asia"},
        ),
        ("Player#1234", {"riot_id": "Player#1234"}, {"player_id": "Player#1234"}),
        (
            "109088431-2558",
            {"user_id": "109088431", "zone_id": "2558"},
            {"player_id": "109088431", "zone_id": "2558"},
        ),
        ("5123456", {}, {"player_id": "5123456"}),  # an order from before the fields
    ],
)
def test_the_note_carries_the_player_id_and_the_game_s_other_fields(stored, fields, note):
    request = OrderRequest(reference="TRX-1", sku=PUBG_60, customer_no=stored, customer_data=fields)
    assert order_note(request) == note


@pytest.fixture
def adapter(live_server, settings) -> FoxReloadAdapter:
    settings.FOXRELOAD_BASE_URL = live_server.url + "/sim/foxreload"
    settings.FOXRELOAD_API_KEY = "sim-foxreload-key"
    settings.FOXRELOAD_MOCK = False
    adapter = FoxReloadAdapter.from_settings()
    adapter.fetch_catalog()  # reads (retried): the live server's slow first request
    return adapter


def sent_note() -> dict:
    create = ProviderCall.objects.filter(endpoint="orders.create").latest("pk")
    return json.loads(create.request_body)["items"][0]["note"]


def test_a_genshin_order_sends_the_uid_and_its_server(adapter):
    request = OrderRequest(
        reference="TRX-GI-1",
        sku=GENESIS_60,
        customer_no="812345678-os_asia",
        customer_data={"user_id": "812345678", "server": "os_asia"},
    )

    result = adapter.place_order(request)

    assert result.status == ProviderStatus.SUCCESS
    assert sent_note() == {"player_id": "812345678", "server": "os_asia"}
    assert SimulatedOrder.objects.get(external_id=result.provider_order_id).request["items"][0][
        "note"
    ] == {"player_id": "812345678", "server": "os_asia"}


def test_a_genshin_order_without_a_server_is_refused_and_nothing_is_created(adapter):
    request = OrderRequest(reference="TRX-GI-2", sku=GENESIS_60, customer_no="812345678")

    result = adapter.place_order(request)

    assert result.status == ProviderStatus.FAILED
    assert result.message == "FoxReload refused the order: note.server is required"
    assert not SimulatedOrder.objects.filter(provider="foxreload").exists()


def test_a_server_foxreload_does_not_list_is_refused(adapter):
    request = OrderRequest(
        reference="TRX-GI-3",
        sku=GENESIS_60,
        customer_no="812345678-os_moon",
        customer_data={"user_id": "812345678", "server": "os_moon"},
    )

    result = adapter.place_order(request)

    assert result.status == ProviderStatus.FAILED
    assert result.message == (
        "FoxReload refused the order: note.server must be one of os_asia, os_usa, os_euro, os_cht"
    )


def test_a_valorant_order_sends_the_whole_riot_id_as_the_player_id(adapter):
    request = OrderRequest(
        reference="TRX-VP-1",
        sku=VALORANT_475,
        customer_no="Player#ID12",
        customer_data={"riot_id": "Player#ID12"},
    )

    assert adapter.place_order(request).status == ProviderStatus.SUCCESS
    assert sent_note() == {"player_id": "Player#ID12"}
