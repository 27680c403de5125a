"""Bills over the reseller API against the Digiflazz simulator: the inquiry's exact reply,
payment idempotent by ref_id (also two at once), refusals, callbacks, a clean ledger."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from resellers.models import ApiOrder, CallbackDelivery
from resellers.services import api_key_create, reseller_set_callback_url
from tests.orders.bill_fixtures import RESELLER_FEE
from tests.orders.fixtures import balance_of, fund, make_user
from tests.orders.test_concurrency import run_at_once
from tests.resellers.conftest import ApiClient
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)
INQUIRY, PAY = "/api/v1/bills/inquiry", "/api/v1/bills/pay"
START = Decimal("2000000")


@pytest.fixture
def bill_reseller(db):
    user = make_user("bill-api", reseller=True)
    fund(user, START)
    return user


@pytest.fixture
def bill_api(bill_reseller) -> ApiClient:
    _key, raw = api_key_create(user=bill_reseller, name="bills")
    return ApiClient(raw)


def inquire(api, product, number="530000000001"):
    return api.post(INQUIRY, {"product_id": product.pk, "customer_no": number})


def test_the_urls_are_the_documented_ones():
    assert reverse("resellers:api-bill-inquiry") == INQUIRY
    assert reverse("resellers:api-bill-pay") == PAY


@pytest.mark.parametrize("sku", ["pln", "bpjs", "pdam", "halo"])
def test_a_reseller_inquires_and_pays_each_bill_type(
    simulator, bill_products, bill_api, bill_reseller, sku
):
    reply = inquire(bill_api, bill_products[sku])
    assert reply.status_code == 200, reply.json()
    bill = reply.json()
    order = Order.objects.get()
    assert bill == {
        "inquiry_ref": order.code,
        "status": "inquired",
        "product_id": bill_products[sku].pk,
        "product_name": bill_products[sku].name,
        "customer_no": "530000000001",
        "customer_name": "PELANGGAN SIMULASI 0001",
        "periods": [
            {
                "period": p["period"],
                "amount": f"{Decimal(p['amount']):.2f}",
                "penalty": f"{Decimal(p['penalty']):.2f}",
                "meter_start": p["meter_start"],
                "meter_end": p["meter_end"],
            }
            for p in order.bill["periods"]
        ],
        "details": order.bill["details"],
        "bill_amount": f"{order.bill_amount:.2f}",
        "admin_fee": f"{order.bill_admin_fee:.2f}",
        "service_fee": f"{RESELLER_FEE:.2f}",
        "price": f"{order.bill_amount + order.bill_admin_fee + RESELLER_FEE:.2f}",
        "currency": "IDR",
        "expires_at": bill["expires_at"],
    }

    paid = bill_api.post(PAY, {"ref_id": f"my-{sku}", "inquiry_ref": order.code})
    again = bill_api.post(PAY, {"ref_id": f"my-{sku}", "inquiry_ref": order.code})

    assert paid.status_code == 201, paid.json()
    assert again.status_code == 200
    assert paid.json()["bill"]["inquiry_ref"] == order.code
    assert bill_api.get(f"/api/v1/orders/my-{sku}").json()["status"] == "success"
    assert balance_of(bill_reseller) == START - Decimal(bill["price"])
    assert ledger_check().ok


def test_two_pays_at_once_with_one_ref_id_pay_once(
    simulator, bill_products, bill_api, bill_reseller
):
    code = inquire(bill_api, bill_products["pln"]).json()["inquiry_ref"]

    statuses = run_at_once(
        2, lambda: str(bill_api.post(PAY, {"ref_id": "twice", "inquiry_ref": code}).status_code)
    )

    assert sorted(statuses) == ["200", "201"]
    order = Order.objects.get(code=code)
    assert balance_of(bill_reseller) == START - order.price
    assert ApiOrder.objects.count() == 1
    assert ledger_check().ok


def test_a_paid_bill_cannot_be_paid_under_another_ref_id(simulator, bill_products, bill_api):
    code = inquire(bill_api, bill_products["pln"]).json()["inquiry_ref"]
    bill_api.post(PAY, {"ref_id": "first", "inquiry_ref": code})

    second = bill_api.post(PAY, {"ref_id": "second", "inquiry_ref": code})
    reused = bill_api.post(PAY, {"ref_id": "first", "inquiry_ref": "TRX-OTHER"})
    asked_again = inquire(bill_api, bill_products["pln"])

    assert (second.status_code, second.json()["code"]) == (409, "not_payable")
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_conflict")
    assert asked_again.json()["inquiry_ref"] == code  # paid today: the same order
    assert asked_again.json()["status"] == "success"


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("530000000004", 422, "no_bill"),
        ("530000000005", 422, "no_bill"),
        ("1", 400, "invalid_input"),
    ],
)
def test_inquiry_refusals(simulator, bill_products, bill_api, number, status, code):
    reply = inquire(bill_api, bill_products["bpjs"], number)

    assert (reply.status_code, reply.json()["code"]) == (status, code)
    assert not Order.objects.exists()


def test_a_prepaid_product_is_not_a_bill_type(simulator, bill_api, product):
    reply = inquire(bill_api, product)

    assert (reply.status_code, reply.json()["code"]) == (400, "unknown_product")


def test_too_little_balance_pays_nothing_and_keeps_the_ref_id_free(simulator, bill_products):
    poor = make_user("poor", reseller=True)
    fund(poor, Decimal("1000"))
    api = ApiClient(api_key_create(user=poor, name="poor")[1])
    code = inquire(api, bill_products["pdam"]).json()["inquiry_ref"]

    reply = api.post(PAY, {"ref_id": "r1", "inquiry_ref": code})

    assert (reply.status_code, reply.json()["code"]) == (402, "insufficient_balance")
    assert Order.objects.get(code=code).status == OrderStatus.INQUIRED
    assert not ApiOrder.objects.exists()
    assert balance_of(poor) == Decimal("1000")


def test_someone_elses_inquiry_is_not_found(simulator, bill_products, bill_api):
    other = make_user("other-bills", reseller=True)
    fund(other, START)
    code = inquire(ApiClient(api_key_create(user=other, name="o")[1]), bill_products["halo"])
    reply = bill_api.post(PAY, {"ref_id": "x", "inquiry_ref": code.json()["inquiry_ref"]})

    assert (reply.status_code, reply.json()["code"]) == (404, "not_found")


def test_a_failed_bill_is_refunded_and_called_back(
    simulator, bill_products, bill_api, bill_reseller, monkeypatch
):
    monkeypatch.setattr("resellers.callbacks._send_after_commit", lambda delivery: None)
    reseller_set_callback_url(user=bill_reseller, url="https://93.184.216.34/hook")
    code = inquire(bill_api, bill_products["halo"], "530000000006").json()["inquiry_ref"]

    bill_api.post(PAY, {"ref_id": "fails", "inquiry_ref": code})

    assert Order.objects.get(code=code).status == OrderStatus.REFUNDED
    assert balance_of(bill_reseller) == START
    delivery = CallbackDelivery.objects.get()
    assert delivery.payload["data"]["ref_id"] == "fails"
    assert delivery.payload["data"]["status"] == "refunded"
    assert ledger_check().ok
