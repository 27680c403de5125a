"""How the Digiflazz adapter writes the buyer's fields into `customer_no`, in the request it
sends (`responses`) and as its simulator receives it (docs/providers/digiflazz.md)."""

import json
from decimal import Decimal

import pytest
import responses

from providers.base import OrderRequest, ProviderStatus
from providers.digiflazz.adapter import DigiflazzAdapter, customer_no_for
from providers.models import SimulatedOrder
from tests.providers.digiflazz.test_adapter import BASE, REF, make_adapter, transaction_reply
from tests.providers.digiflazz.test_simulator import callbacks  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def request(customer_no: str, **fields) -> OrderRequest:
    return OrderRequest(
        reference=REF,
        sku="ML86",
        customer_no=customer_no,
        customer_data=fields,
        max_price=Decimal("19850.00"),
    )


@pytest.mark.parametrize(
    ("stored", "fields", "sent"),
    [
        # Mobile Legends: user id and zone id together, no separator
        ("109088431-2558", {"user_id": "109088431", "zone_id": "2558"}, "1090884312558"),
        # a HoYoverse UID alone: its first digit names the server
        ("812345678-os_asia", {"user_id": "812345678", "server": "os_asia"}, "812345678"),
        ("Player#1234", {"riot_id": "Player#1234"}, "Player#1234"),
        ("51234567", {"user_id": "51234567"}, "51234567"),
        ("081234567890", {"phone": "081234567890"}, "081234567890"),
        ("12345678901", {"meter_number": "12345678901"}, "12345678901"),
        # an order placed before the fields were stored: its account number as it is
        ("12345678-1234", {}, "12345678-1234"),
    ],
)
def test_customer_no_is_written_the_way_digiflazz_sellers_read_it(stored, fields, sent):
    assert customer_no_for(request(stored, **fields)) == sent


@responses.activate
def test_place_and_check_send_the_same_concatenated_mobile_legends_number():
    responses.post(f"{BASE}/transaction", json=transaction_reply("03", "Pending"))
    responses.post(f"{BASE}/transaction", json=transaction_reply("00", "Sukses", sn="SN1"))
    adapter = make_adapter()
    order = request("109088431-2558", user_id="109088431", zone_id="2558")

    assert adapter.place_order(order).status == ProviderStatus.PENDING
    assert adapter.check_order(order).status == ProviderStatus.SUCCESS

    sent = [json.loads(call.request.body)["customer_no"] for call in responses.calls]
    assert sent == ["1090884312558", "1090884312558"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("callbacks")
def test_the_simulator_receives_the_concatenated_number(live_server, settings):
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.DIGIFLAZZ_TESTING = False
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://shop.test"
    adapter = DigiflazzAdapter.from_settings()
    adapter.get_balance()  # a read (retried): the live server's slow first request

    result = adapter.place_order(request("109088431-2558", user_id="109088431", zone_id="2558"))

    assert result.status == ProviderStatus.SUCCESS, result.message
    sim_order = SimulatedOrder.objects.get(provider="digiflazz", reference=REF)
    assert sim_order.request["customer_no"] == "1090884312558"
