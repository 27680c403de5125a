"""The common flow of every callback endpoint (webhooks/base.py), for all six at once: the
body cap (also with a lying Content-Length), the WebhookDelivery kept for every outcome with
secrets masked, the refusal without a secret, identical deliveries at once, and the OpenAPI
description.

It also holds the shared test world (ENDPOINTS, build_world, snapshot) that test_fuzz.py and
test_hubble.py import: one processing order per supplier, a gateway order, Hubble products, a
Shan player.
"""

import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone

from catalog.models import DenominationType, InputSchema, Product, Provider
from catalog.services import catalog_reprice_all
from orders.models import Order, OrderStatus, PaymentMethod, Voucher
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from orders.tasks import order_place
from providers.base import ProviderResult, ProviderStatus
from providers.digiflazz import webhook as digiflazz_webhook
from providers.hubble import webhook as hubble_webhook
from providers.shan import signature as shan_signature
from providers.tripay import webhook as tripay_webhook
from shan.models import ShanSettlement
from shop.models import PriceTier, User
from tests.catalog.factories import (
    BrandFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
)
from tests.orders.fixtures import GAME_INPUT, fund, make_user
from tests.shan.support import mark_launched
from wallets.models import Deposit, Transfer, Wallet
from wallets.selectors import ledger_check
from webhooks import views
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

MASKED = "[masked]"
CAP = 64 * 1024

# --- the endpoints ---------------------------------------------------------------------------


def as_sent(value):
    """Numbers as the Shan provider's json_encode writes them (their exact text)."""
    if isinstance(value, dict):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return shan_signature.RawNumber(str(value))
    return value


@dataclass(frozen=True)
class Endpoint:
    """One callback URL and its caller's signature rule."""

    name: str
    url: str
    source: str
    view: type
    secret_setting: str
    secret: str
    signature_meta: str = ""  # "" for Shan: its signature is a field of the body
    sign: Callable[[str, bytes], str] | None = None
    fixed_headers: dict = field(default_factory=dict)

    @property
    def in_body(self) -> bool:
        return not self.signature_meta

    def encode(self, payload: dict, *, secret: str | None = None) -> bytes:
        """The body the caller would send for `payload` (Shan: signed inside the body)."""
        if self.in_body:
            return shan_signature.signed_body(secret or self.secret, as_sent(payload))
        return json.dumps(payload).encode()

    def headers(self, body: bytes, *, secret: str | None = None, signature=None) -> dict:
        """Client.post extras: the fixed headers and the signature header (if any)."""
        extra = dict(self.fixed_headers)
        if not self.in_body:
            extra[self.signature_meta] = (
                self.sign(secret or self.secret, body) if signature is None else signature
            )
        return extra

    def post(self, client: Client, body: bytes, content_type="application/json", **extra):
        return client.post(self.url, data=body, content_type=content_type, **extra)

    def deliver(self, client: Client, payload: dict, *, secret: str | None = None, **extra):
        """POST `payload`, encoded and signed as the caller does."""
        body = self.encode(payload, secret=secret)
        return self.post(client, body, **self.headers(body, secret=secret), **extra)

    def error_code(self, response) -> str:
        return response.json().get("code", "")


SHAN = Endpoint(
    name="shan",
    url="/api/shan/client/balance-update",
    source=WebhookSource.SHAN,
    view=views.ShanBalanceUpdateView,
    secret_setting="SHAN_SECRET_KEY",
    secret="common-shan-secret",
)
DIGIFLAZZ = Endpoint(
    name="digiflazz",
    url="/api/webhooks/digiflazz",
    source=WebhookSource.DIGIFLAZZ,
    view=views.DigiflazzCallbackView,
    secret_setting="DIGIFLAZZ_WEBHOOK_SECRET",
    secret="common-digiflazz-secret",
    signature_meta="HTTP_X_HUB_SIGNATURE",
    sign=digiflazz_webhook.sign_callback,
    fixed_headers={"HTTP_X_DIGIFLAZZ_EVENT": "update", "HTTP_USER_AGENT": "Digiflazz-Hookshot"},
)
TRIPAY = Endpoint(
    name="tripay",
    url="/api/webhooks/tripay",
    source=WebhookSource.TRIPAY,
    view=views.TripayCallbackView,
    secret_setting="TRIPAY_PRIVATE_KEY",
    secret="common-tripay-private-key",
    signature_meta="HTTP_X_CALLBACK_SIGNATURE",
    sign=tripay_webhook.sign_callback,
    fixed_headers={"HTTP_X_CALLBACK_EVENT": "payment_status"},
)
_HUBBLE = {
    "secret_setting": "HUBBLE_WEBHOOK_SECRET",
    "secret": "common-hubble-secret",
    "signature_meta": "HTTP_X_VERIFY",
    "sign": hubble_webhook.sign,
}
HUBBLE_BRAND = Endpoint(
    name="hubble-brand-updated",
    url="/api/webhooks/hubble/brand-updated",
    source=WebhookSource.HUBBLE_BRAND,
    view=views.HubbleBrandUpdatedView,
    **_HUBBLE,
)
HUBBLE_LOW_BALANCE = Endpoint(
    name="hubble-low-balance",
    url="/api/webhooks/hubble/low-balance",
    source=WebhookSource.HUBBLE_LOW_BALANCE,
    view=views.HubbleLowBalanceView,
    **_HUBBLE,
)
HUBBLE_ORDER = Endpoint(
    name="hubble-order-status",
    url="/api/webhooks/hubble/order-status",
    source=WebhookSource.HUBBLE_ORDER,
    view=views.HubbleOrderStatusView,
    **_HUBBLE,
)
ENDPOINTS = [SHAN, DIGIFLAZZ, TRIPAY, HUBBLE_BRAND, HUBBLE_LOW_BALANCE, HUBBLE_ORDER]
HEADER_SIGNED = [endpoint for endpoint in ENDPOINTS if not endpoint.in_body]
IDS = [endpoint.name for endpoint in ENDPOINTS]


def configure(settings) -> None:
    """Every caller's secret set, no allow-list, no trusted proxy."""
    for endpoint in ENDPOINTS:
        setattr(settings, endpoint.secret_setting, endpoint.secret)
    settings.SHAN_TRANSACTION_KEY = ""
    settings.HUBBLE_WEBHOOK_IPS = []
    settings.TRUSTED_PROXIES = []
    settings.WEBHOOK_MAX_BODY_BYTES = CAP


# --- the world the calls land in ----------------------------------------------------------

HUBBLE_ORDER_ID = "hbl_known_order"
DIGIFLAZZ_TRX_ID = "digi-trx-1"


@dataclass
class World:
    alice: User
    reseller: User
    guest_order: Order
    digiflazz_order: Order
    hubble_order: Order
    hubble_products: dict[str, Product]


def processing(order: Order, provider_order_id: str) -> Order:
    """Pay `order` from the wallet and mark it pending at its provider (never placed: the
    placement message is dropped, so transactional tests stay offline)."""
    with mock.patch.object(order_place, "delay"):
        order = order_pay_with_balance(order=order)
    return order_apply_provider_update(
        order=order,
        result=ProviderResult(ProviderStatus.PENDING, provider_order_id=provider_order_id),
    )


def hubble_catalog() -> dict[str, Product]:
    """Hubble's amazon-pay (FIXED 100/500/1000), steam (FLEXIBLE 100-10000), and bystanders
    that a brand update must not touch: amazon-pay-in (another brand with the same prefix)
    and a digiflazz product whose SKU looks like a Hubble one."""
    hubble = ProviderFactory(
        code="hubble", name="Hubble", currency="INR", exchange_rate=Decimal("190")
    )
    gift_cards = BrandFactory(name="Amazon Pay", input_schema=InputSchema.EMAIL)
    products = {
        f"amazon-pay:{face}": ProductFactory(
            provider=hubble,
            brand=gift_cards,
            provider_sku=f"amazon-pay:{face}",
            cost=Decimal(face) * Decimal("0.975"),
        )
        for face in (100, 500, 1000)
    }
    products["steam"] = ProductFactory(
        provider=hubble,
        brand=BrandFactory(name="Steam", input_schema=InputSchema.EMAIL),
        provider_sku="steam",
        denomination_type=DenominationType.FLEXIBLE,
        cost=Decimal("0.98"),
        min_amount=Decimal("100"),
        max_amount=Decimal("10000"),
    )
    products["amazon-pay-in:100"] = ProductFactory(
        provider=hubble, brand=gift_cards, provider_sku="amazon-pay-in:100", cost=Decimal("97")
    )
    products["digiflazz amazon-pay:100"] = ProductFactory(
        provider=Provider.objects.get(code="digiflazz"),
        provider_sku="amazon-pay:100",
        cost=Decimal("10000"),
    )
    return products


def build_world() -> World:
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    reseller = make_user("reseller", reseller=True)
    fund(reseller, Decimal("200000"))
    alice = User.objects.create_user(username="alice")
    mark_launched(alice)
    game = ProductFactory(brand=BrandFactory(input_schema=InputSchema.GAME))
    guest_order = order_create(
        purchase=Purchase(
            product=game,
            guest_email="guest@example.com",
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
        )
    )
    pulsa = ProductFactory(
        provider=ProviderFactory(code="digiflazz", name="Digiflazz"),
        brand=BrandFactory(input_schema=InputSchema.PHONE),
        provider_sku="xld10",
    )
    products = hubble_catalog()
    catalog_reprice_all()
    products = {key: Product.objects.get(pk=product.pk) for key, product in products.items()}
    digiflazz_order = processing(
        order_create(
            purchase=Purchase(
                product=pulsa,
                user=reseller,
                customer_data={"phone": "087800001233"},
                payment_method=PaymentMethod.BALANCE,
            )
        ),
        DIGIFLAZZ_TRX_ID,
    )
    hubble_order = processing(
        order_create(
            purchase=Purchase(
                product=products["amazon-pay:100"],
                user=reseller,
                customer_data={"email": "buyer@example.com"},
                payment_method=PaymentMethod.BALANCE,
            )
        ),
        HUBBLE_ORDER_ID,
    )
    return World(alice, reseller, guest_order, digiflazz_order, hubble_order, products)


@pytest.fixture
def world(db, settings) -> World:
    configure(settings)
    return build_world()


def shan_round(wager_code: str = "w-common", alice: str = "1150.50") -> dict:
    return {
        "wager_code": wager_code,
        "game_type_id": 15,
        "players": [
            {"player_id": "alice", "balance": Decimal(alice)},
            {"player_id": "SKP0101", "balance": Decimal("9849.50")},
        ],
        "banker_balance": Decimal("9849.50"),
        "agent_balance": Decimal("9849.50"),
        "timestamp": "2025-01-15T10:30:00+0000",
        "total_player_net": Decimal("100.50"),
        "banker_amount_change": Decimal("-100.50"),
    }


def digiflazz_update(ref_id: str, status: str = "Sukses", rc: str = "00") -> dict:
    return {
        "data": {
            "ref_id": ref_id,
            "trx_id": DIGIFLAZZ_TRX_ID,
            "customer_no": "087800001233",
            "buyer_sku_code": "xld10",
            "message": f"Transaksi {status}",
            "status": status,
            "rc": rc,
            "buyer_last_saldo": 100000,
            "sn": "SN-COMMON-1" if status == "Sukses" else "",
            "price": 10000,
            "tele": "",
            "wa": "",
        }
    }


def tripay_payment(merchant_ref: str, amount: Decimal, status: str = "PAID") -> dict:
    return {
        "reference": "T0001000000777",
        "merchant_ref": merchant_ref,
        "payment_method": "BRI Virtual Account",
        "payment_method_code": "BRIVA",
        "total_amount": int(amount),
        "fee_merchant": 0,
        "fee_customer": 0,
        "total_fee": 0,
        "amount_received": int(amount),
        "is_closed_payment": 1,
        "status": status,
        "paid_at": 1767225600 if status == "PAID" else None,
        "note": None,
    }


BRAND_INACTIVE = {
    "id": "amazon-pay",
    "denominationType": "FIXED",
    "status": "INACTIVE",
    "denominations": [100, 500, 1000],
    "amountRestrictions": {"minOrderAmount": 100, "maxOrderAmount": 1000},
}
LOW_BALANCE = {"balance": 50, "threshold": 100}


def valid_payload(endpoint: Endpoint, world: World) -> dict:
    """A well-formed call about something that exists: it has an effect."""
    return {
        "shan": lambda: shan_round(),
        "digiflazz": lambda: digiflazz_update(world.digiflazz_order.code),
        "tripay": lambda: tripay_payment(world.guest_order.code, world.guest_order.price),
        "hubble-brand-updated": lambda: dict(BRAND_INACTIVE),
        "hubble-low-balance": lambda: dict(LOW_BALANCE),
        "hubble-order-status": lambda: {"id": HUBBLE_ORDER_ID, "status": "SUCCESS"},
    }[endpoint.name]()


UNMATCHED = {
    "digiflazz": lambda: digiflazz_update("TRX-20260101-NOPE00"),
    "tripay": lambda: tripay_payment("TRX-20260101-NOPE00", Decimal("10500")),
    "hubble-order-status": lambda: {"id": "hbl_nobody_knows", "status": "SUCCESS"},
}
# A repeated Shan round (same wager code, same signed content) is answered before anything
# is stored (tests/webhooks/test_shan.py): its first delivery's row stands for it.
DUPLICATES = ["digiflazz", "tripay"]


def snapshot() -> dict:
    """Everything a callback may change: money, orders, the catalog, provider balances."""
    return {
        "wallets": dict(Wallet.objects.values_list("pk", "balance")),
        "transfers": Transfer.objects.count(),
        "orders": {
            pk: (status, next_poll_at, amount_received)
            for pk, status, next_poll_at, amount_received in Order.objects.values_list(
                "pk", "status", "next_poll_at", "amount_received"
            )
        },
        "vouchers": Voucher.objects.count(),
        "settlements": ShanSettlement.objects.count(),
        "deposits": dict(Deposit.objects.values_list("pk", "status")),
        "products": {
            product[0]: product[1:]
            for product in Product.objects.values_list(
                "pk",
                "provider_active",
                "min_amount",
                "max_amount",
                "price_retail",
                "price_reseller",
            )
        },
        "providers": {
            code: (balance, at)
            for code, balance, at in Provider.objects.values_list(
                "code", "last_balance", "last_balance_at"
            )
        },
    }


def latest_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.order_by("-pk").first()


def padded_to(endpoint: Endpoint, payload: dict, size: int) -> bytes:
    """A correctly signed body of exactly `size` bytes: `payload` plus a `pad` field."""
    if endpoint.name == "digiflazz":
        base = endpoint.encode({**payload, "data": {**payload["data"], "pad": ""}})
        grow = size - len(base)
        return endpoint.encode({**payload, "data": {**payload["data"], "pad": "x" * grow}})
    base = endpoint.encode({**payload, "pad": ""})
    return endpoint.encode({**payload, "pad": "x" * (size - len(base))})


# --- the body cap ----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_body_over_the_cap_is_413_and_one_at_the_cap_is_served(client, world, endpoint):
    over = padded_to(endpoint, valid_payload(endpoint, world), CAP + 1)
    before = snapshot()

    refused = endpoint.post(client, over, **endpoint.headers(over))

    assert len(over) == CAP + 1
    assert refused.status_code == 413
    assert endpoint.error_code(refused) == "PAYLOAD_TOO_LARGE"
    assert snapshot() == before
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.REJECTED, 413)
    assert delivery.signature_valid is None  # refused before any HMAC
    assert delivery.body_size == CAP + 1
    assert len(bytes(delivery.raw_body)) <= CAP

    at_cap = padded_to(endpoint, valid_payload(endpoint, world), CAP)
    served = endpoint.post(client, at_cap, **endpoint.headers(at_cap))

    assert len(at_cap) == CAP
    assert served.status_code == 200, served.content


def _direct(endpoint: Endpoint, body: bytes, *, declared: str | None, stream: bytes, **extra):
    """Call the view as a server that hands over more (or fewer) bytes than Content-Length
    says would: an ASGI server, or a WSGI one passing a chunked body through."""
    request = RequestFactory().post(
        endpoint.url, data=body, content_type="application/json", **extra
    )
    if declared is None:
        del request.META["CONTENT_LENGTH"]
    else:
        request.META["CONTENT_LENGTH"] = declared
    request._stream = io.BytesIO(stream)
    return resolve(endpoint.url).func(request)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize(
    "declared", ["100", None, "-1", "junk"], ids=["small", "absent", "neg", "junk"]
)
def test_a_lying_content_length_does_not_get_a_big_body_past_the_cap(world, endpoint, declared):
    big = padded_to(endpoint, valid_payload(endpoint, world), CAP + 5000)
    before = snapshot()

    response = _direct(endpoint, big, declared=declared, stream=big, **endpoint.headers(big))

    assert response.status_code == 413
    assert snapshot() == before
    assert latest_delivery().outcome == DeliveryOutcome.REJECTED


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_declared_length_over_the_cap_is_413_without_reading(world, endpoint):
    small = endpoint.encode(valid_payload(endpoint, world))
    before = snapshot()

    response = _direct(
        endpoint, small, declared=str(10 * CAP), stream=small, **endpoint.headers(small)
    )

    assert response.status_code == 413
    assert snapshot() == before
    delivery = latest_delivery()
    assert bytes(delivery.raw_body) == b""
    assert delivery.body_size == 10 * CAP


# --- the delivery log -------------------------------------------------------------------------

NOSY_HEADERS = {
    "HTTP_AUTHORIZATION": "Bearer very-private-token",
    "HTTP_COOKIE": "sessionid=very-private-cookie",
    "HTTP_X_API_KEY": "very-private-api-key",
    "HTTP_X_TRANSACTION_KEY": "very-private-tx-key",
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_delivery_is_stored_as_received_with_secrets_masked(client, world, endpoint):
    body = endpoint.encode(valid_payload(endpoint, world))
    sent = {**endpoint.headers(body), **NOSY_HEADERS, "HTTP_X_REQUEST_ID": "req-42"}

    response = endpoint.post(client, body, **sent)

    assert response.status_code == 200, response.content
    delivery = WebhookDelivery.objects.get()
    assert delivery.source == endpoint.source
    assert bytes(delivery.raw_body) == body
    assert delivery.body_size == len(body)
    assert delivery.remote_addr == "127.0.0.1"
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.PROCESSED, 200)
    assert delivery.signature_valid is True
    assert delivery.processed_at is not None
    headers = delivery.headers
    for name in ("Authorization", "Cookie", "X-Api-Key", "X-Transaction-Key"):
        assert headers[name] == MASKED
    if not endpoint.in_body:
        signature_name = endpoint.signature_meta.removeprefix("HTTP_").replace("_", "-").title()
        assert headers[signature_name] == MASKED
    assert headers["X-Request-Id"] == "req-42"  # what is not secret stays readable
    stored = json.dumps(headers)
    for secret in (*NOSY_HEADERS.values(), endpoint.secret, sent.get(endpoint.signature_meta)):
        if secret:
            assert secret not in stored


OUTCOME_CASES = (
    [(endpoint, DeliveryOutcome.REJECTED) for endpoint in ENDPOINTS]
    + [
        (endpoint, DeliveryOutcome.DUPLICATE)
        for endpoint in ENDPOINTS
        if endpoint.name in DUPLICATES
    ]
    + [
        (endpoint, DeliveryOutcome.UNMATCHED)
        for endpoint in ENDPOINTS
        if endpoint.name in UNMATCHED
    ]
    + [(endpoint, DeliveryOutcome.FAILED) for endpoint in ENDPOINTS]
)


@pytest.mark.parametrize(
    ("endpoint", "outcome"),
    OUTCOME_CASES,
    ids=[f"{endpoint.name}-{outcome}" for endpoint, outcome in OUTCOME_CASES],
)
def test_every_outcome_leaves_a_delivery_row(client, world, endpoint, outcome, monkeypatch):
    payload = valid_payload(endpoint, world)
    expected_status = 200
    if outcome == DeliveryOutcome.REJECTED:
        response = endpoint.deliver(client, payload, secret="not-the-secret")
        expected_status = 401
    elif outcome == DeliveryOutcome.DUPLICATE:
        endpoint.deliver(client, payload)
        response = endpoint.deliver(client, payload)
    elif outcome == DeliveryOutcome.UNMATCHED:
        response = endpoint.deliver(client, UNMATCHED[endpoint.name]())
    else:

        def broken(*args, **kwargs):
            raise RuntimeError("database on fire")

        monkeypatch.setattr(endpoint.view, "handle", broken)
        response = endpoint.deliver(client, payload)
        expected_status = 500
        assert "database on fire" not in response.content.decode()
        assert endpoint.error_code(response) == "INTERNAL_ERROR"

    assert response.status_code == expected_status, response.content
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.http_status) == (outcome, expected_status)
    assert delivery.processed_at is not None
    if outcome == DeliveryOutcome.FAILED:
        assert "RuntimeError: database on fire" in delivery.error
    if outcome == DeliveryOutcome.UNMATCHED:
        assert delivery.reference


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_without_a_secret_every_call_is_503_and_changes_nothing(client, world, endpoint, settings):
    body = endpoint.encode(valid_payload(endpoint, world))
    headers = endpoint.headers(body)
    setattr(settings, endpoint.secret_setting, "")
    before = snapshot()

    response = endpoint.post(client, body, **headers)

    assert response.status_code == 503
    assert endpoint.error_code(response) == "NOT_CONFIGURED"
    assert snapshot() == before
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.REJECTED, None)


@pytest.mark.parametrize("endpoint", HEADER_SIGNED, ids=[e.name for e in HEADER_SIGNED])
def test_a_flipped_body_byte_anywhere_is_401(client, world, endpoint):
    body = endpoint.encode(valid_payload(endpoint, world))
    headers = endpoint.headers(body)
    before = snapshot()
    positions = range(0, len(body), max(1, len(body) // 40))

    statuses = {
        endpoint.post(
            client, body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :], **headers
        ).status_code
        for at in positions
    }

    assert statuses == {401}
    assert snapshot() == before
    assert not WebhookDelivery.objects.exclude(signature_valid=False).exists()


@pytest.mark.parametrize("endpoint", HEADER_SIGNED, ids=[e.name for e in HEADER_SIGNED])
def test_a_missing_signature_header_is_401(client, world, endpoint):
    body = endpoint.encode(valid_payload(endpoint, world))
    before = snapshot()

    response = endpoint.post(client, body, **endpoint.fixed_headers)

    assert response.status_code == 401
    assert endpoint.error_code(response) == "INVALID_SIGNATURE"
    assert snapshot() == before
    assert latest_delivery().signature_valid is False


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_trusted_proxy_forwarding_a_garbage_address_is_no_500(client, world, endpoint, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    body = endpoint.encode(valid_payload(endpoint, world))
    client = Client(raise_request_exception=False)

    response = endpoint.post(
        client,
        body,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="unknown",
        **endpoint.headers(body),
    )

    assert response.status_code < 500


# --- identical deliveries at once (Shan's is in test_shan.py, Hubble's in test_hubble.py) ----


def deliver_at_once(endpoint: Endpoint, body: bytes, headers: dict, count: int = 5) -> list:
    barrier = threading.Barrier(count)
    replies = []

    def deliver():
        barrier.wait()
        try:
            response = endpoint.post(Client(), body, **headers)
            replies.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


@pytest.mark.django_db(transaction=True)
def test_five_identical_digiflazz_callbacks_deliver_once(settings):
    configure(settings)
    world = build_world()
    body = DIGIFLAZZ.encode(digiflazz_update(world.digiflazz_order.code))
    transfers = Transfer.objects.count()

    replies = deliver_at_once(DIGIFLAZZ, body, DIGIFLAZZ.headers(body))

    assert replies == [(200, {"status": "ok"})] * 5
    order = Order.objects.get(pk=world.digiflazz_order.pk)
    assert order.status == OrderStatus.SUCCESS
    assert list(order.vouchers.values_list("serial", flat=True)) == ["SN-COMMON-1"]
    assert order.events.filter(to_status=OrderStatus.SUCCESS).count() == 1
    # delivered once: the one money movement is the delivering route's cost, booked once
    assert Transfer.objects.count() == transfers + 1
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:cost").count() == 1
    outcomes = sorted(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.DUPLICATE] * 4 + [DeliveryOutcome.PROCESSED]
    assert ledger_check().ok


@pytest.mark.django_db(transaction=True)
def test_five_identical_tripay_payments_pay_once(settings, monkeypatch):
    configure(settings)
    world = build_world()
    # the game product's provider has no adapter: placing it would flag the order for review
    monkeypatch.setattr(order_place, "delay", lambda *args, **kwargs: None)
    order = world.guest_order
    body = TRIPAY.encode(tripay_payment(order.code, order.price))

    replies = deliver_at_once(TRIPAY, body, TRIPAY.headers(body))

    assert replies == [(200, {"success": True})] * 5
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Transfer.objects.filter(reference=order.code).count() == 1
    outcomes = sorted(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.DUPLICATE] * 4 + [DeliveryOutcome.PROCESSED]
    assert ledger_check().ok


# --- OpenAPI -----------------------------------------------------------------------------------

SCHEMA_FIELDS = {
    SHAN.url: {"wager_code", "players", "signature"},
    DIGIFLAZZ.url: {"data"},
    TRIPAY.url: {"merchant_ref", "status", "total_amount"},
    HUBBLE_BRAND.url: {"id", "status", "denominations"},
    HUBBLE_LOW_BALANCE.url: {"balance", "threshold"},
    HUBBLE_ORDER.url: {"id", "status"},
}


def test_the_schema_lists_all_six_callbacks_with_their_request_bodies(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    components = schema["components"]["schemas"]
    for url, fields in SCHEMA_FIELDS.items():
        assert url in schema["paths"], url
        operation = schema["paths"][url]["post"]
        body = operation.get("requestBody")
        assert body, f"{url} has no request body in the schema"
        json_schema = body["content"]["application/json"]["schema"]
        name = json_schema["$ref"].rsplit("/", 1)[-1]
        assert fields <= set(components[name]["properties"]), (url, name)


def test_the_docs_render_from_local_assets(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"external asset {asset}"
    assert not re.search(r"cdn|unpkg|jsdelivr|cdnjs", html, re.IGNORECASE)
    sidecar = [asset for asset in assets if "drf_spectacular_sidecar" in asset]
    assert sidecar
    asset = client.get(sidecar[0])
    asset.close()  # a file response keeps its file open until closed
    assert asset.status_code == 200


def test_the_world_is_consistent(world):
    """The shared fixture itself: what every test above relies on."""
    assert world.digiflazz_order.status == OrderStatus.PROCESSING
    assert world.hubble_order.status == OrderStatus.PROCESSING
    assert world.hubble_order.provider_order_id == HUBBLE_ORDER_ID
    assert world.guest_order.status == OrderStatus.PENDING_PAYMENT
    assert all(
        p.price_retail is not None for p in world.hubble_products.values() if not p.is_flexible
    )
    assert world.hubble_order.next_poll_at > timezone.now()
    assert ledger_check().ok
