"""One set of input rules for both doors: a flexible product's amount is checked by the one
function the storefront form and the order services call (`catalog.amounts`), so the API
refuses what the storefront refuses, with a 400 naming the field. Every /api/ path answers
errors, a body too large for Django included, in the API's JSON shape."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from catalog.amounts import validate_flexible_amount
from catalog.models import Product
from orders.models import Order
from tests.catalog.factories import ProductFactory
from tests.orders.fixtures import balance_of
from wallets.models import Transfer

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


@pytest.fixture
def flexible(priced_product) -> Product:
    return ProductFactory(
        flexible=True, brand=priced_product.brand, provider=priced_product.provider
    )


def order_body(product, amount, ref_id="R-1") -> dict:
    body = {"ref_id": ref_id, "product_id": product.pk, "customer_data": {"user_id": "12345678"}}
    return body if amount is None else body | {"amount": amount}


REFUSED_AMOUNTS = [
    ("50000.50", "Enter a whole amount (steps of 1)."),
    ("9999", "Enter an amount from Rp 10,000 to Rp 1,000,000."),
    ("1000001", "Enter an amount from Rp 10,000 to Rp 1,000,000."),
    (None, "Enter the amount you want."),
]


@pytest.mark.parametrize(("amount", "message"), REFUSED_AMOUNTS)
@pytest.mark.parametrize("path", [ORDERS, f"{ORDERS}/validate"])
def test_the_api_refuses_what_the_storefront_refuses_naming_the_field(
    api, flexible, funded_reseller, path, amount, message
):
    reply = api.post(path, order_body(flexible, amount))

    assert reply.status_code == 400
    assert reply.json() == {
        "code": "invalid_input",
        "message": "Please correct the amount.",
        "details": {"fields": {"amount": [message]}},
    }
    assert not Order.objects.exists()
    assert balance_of(funded_reseller) == Decimal("50000.00")


def test_a_whole_amount_in_range_is_ordered(api, flexible):
    reply = api.post(ORDERS, order_body(flexible, "20000"))

    assert reply.status_code == 201
    assert Order.objects.get().amount == Decimal("20000")


@pytest.mark.parametrize(("amount", "message"), REFUSED_AMOUNTS)
def test_the_one_rule_says_the_same_to_both_doors(flexible, amount, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_flexible_amount(
            product=flexible, amount=None if amount is None else Decimal(amount)
        )

    assert refused.value.messages == [message]


def test_a_fixed_product_takes_no_amount(priced_product):
    assert validate_flexible_amount(product=priced_product, amount=Decimal("5.5")) is None


# --- every /api/ path answers in the JSON error shape --------------------------------------

THREE_MB = b'{"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'


@pytest.mark.parametrize(
    "path",
    [
        ORDERS,
        f"{ORDERS}/validate",
        "/api/shan/client/balance-update",
        "/api/webhooks/hubble/brand-updated",
        "/api/webhooks/digiflazz",
        "/api/webhooks/tripay",
        "/api/no-such-endpoint",
    ],
)
def test_a_3_mb_body_gets_the_json_error_shape_on_every_api_path(api, path):
    transfers = Transfer.objects.count()

    reply = api.post(path, THREE_MB)

    assert reply.status_code in (400, 404, 413)
    assert reply["Content-Type"].startswith("application/json")
    body = reply.json()
    assert {"code", "message"} <= set(body)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert Transfer.objects.count() == transfers


def test_a_3_mb_balance_query_gets_the_shan_error_shape(api):
    """The Shan balance query answers in the provider's own shape, refusals included."""
    reply = api.post("/api/shan/balance", THREE_MB)

    assert reply.status_code == 413
    assert reply["Content-Type"].startswith("application/json")
    assert reply.json() == {
        "status": "error",
        "message": f"The body exceeds {settings.WEBHOOK_MAX_BODY_BYTES} bytes.",
        "data": [],
    }


def test_an_unknown_api_path_is_a_json_404(client):
    reply = Client().get("/api/v1/nothing-here")

    assert reply.status_code == 404
    assert reply.json() == {"code": "not_found", "message": "There is nothing at this address."}


def test_a_page_outside_the_api_keeps_its_html_404(client):
    reply = client.get("/no-such-page/")

    assert reply.status_code == 404
    assert reply["Content-Type"].startswith("text/html")
