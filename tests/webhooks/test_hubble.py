"""Hubble's three callbacks: brand updated, wallet low balance, order reached a terminal state.

`X-Verify` = Base64(HMAC-SHA256(HUBBLE_WEBHOOK_SECRET, raw body)); an optional source-IP
allow-list (HUBBLE_WEBHOOK_IPS) where X-Forwarded-For counts only from TRUSTED_PROXIES.
The shared world (orders, the Hubble catalog) comes from test_common.py.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from catalog.models import PriceChange, Product, Provider
from catalog.services import catalog_price_for
from orders.models import Order, OrderStatus, PaymentMethod
from orders.pipeline import POLL_LEASE
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.tasks import order_poll
from providers.hubble import simulator as hubble_simulator
from providers.hubble.catalog import BrandDirectory
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due
from shop.errors import ApplicationError
from shop.models import Notification, PriceTier
from tests.webhooks.test_common import (
    BRAND_INACTIVE,
    HUBBLE_BRAND,
    HUBBLE_LOW_BALANCE,
    HUBBLE_ORDER,
    HUBBLE_ORDER_ID,
    LOW_BALANCE,
    World,
    build_world,
    configure,
    deliver_at_once,
    latest_delivery,
    snapshot,
)
from wallets.models import Transfer
from wallets.selectors import ledger_check
from webhooks.models import DeliveryOutcome, WebhookDelivery

SECRET = HUBBLE_BRAND.secret
HUBBLE = [HUBBLE_BRAND, HUBBLE_LOW_BALANCE, HUBBLE_ORDER]
IDS = [endpoint.name for endpoint in HUBBLE]
ALLOWED_NET = "203.0.113.0/24"
INSIDE, OUTSIDE, PROXY = "203.0.113.9", "198.51.100.7", "10.0.0.2"


@pytest.fixture
def hubble(db, settings) -> World:
    configure(settings)
    return build_world()


def x_verify(body: bytes, secret: str = SECRET) -> str:
    """The rule, computed here by hand (not through providers.hubble.webhook)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client, endpoint, body: bytes, signature: str | None = "sign", **extra):
    """POST raw bytes; `signature` "sign" signs them, None omits X-Verify."""
    if signature == "sign":
        extra["HTTP_X_VERIFY"] = x_verify(body)
    elif signature is not None:
        extra["HTTP_X_VERIFY"] = signature
    return client.post(endpoint.url, data=body, content_type="application/json", **extra)


def send(client, endpoint, payload: dict, **extra):
    return post(client, endpoint, json.dumps(payload).encode(), **extra)


def valid_body(endpoint) -> bytes:
    payload = {
        HUBBLE_BRAND.name: BRAND_INACTIVE,
        HUBBLE_LOW_BALANCE.name: LOW_BALANCE,
        HUBBLE_ORDER.name: {"id": HUBBLE_ORDER_ID, "status": "SUCCESS"},
    }[endpoint.name]
    return json.dumps(payload).encode()


def for_sale(product: Product, tier=PriceTier.RETAIL, amount=None) -> bool:
    product = Product.objects.select_related("provider").get(pk=product.pk)
    return catalog_price_for(product=product, tier=tier, amount=amount).for_sale


def staff_notifications():
    return Notification.objects.filter(user=None)


# --- the signature ---------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", HUBBLE, ids=IDS)
def test_a_call_signed_by_hand_is_accepted(client, hubble, endpoint):
    body = valid_body(endpoint)

    response = post(client, endpoint, body, signature=x_verify(body))

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.PROCESSED, True)
    assert delivery.headers["X-Verify"] == "[masked]"


def _flip(body: bytes) -> bytes:
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]


def _bad_signatures(body: bytes) -> dict[str, tuple[bytes, str | None]]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256)
    return {
        "flipped body byte": (_flip(body), x_verify(body)),
        "wrong secret": (body, x_verify(body, "not-the-secret")),
        "missing header": (body, None),
        "empty header": (body, ""),
        "garbage header": (body, "this is not base64 at all!"),
        "wrong length": (body, base64.b64encode(digest.digest()[:16]).decode()),
        "hex instead of base64": (body, digest.hexdigest()),
        "same JSON, other spacing": (
            json.dumps(json.loads(body), indent=2).encode(),
            x_verify(body),
        ),
        "same JSON, keys reordered": (
            json.dumps(dict(reversed(json.loads(body).items()))).encode(),
            x_verify(body),
        ),
    }


BAD_CASES = list(_bad_signatures(b"{}"))


@pytest.mark.parametrize("case", BAD_CASES)
@pytest.mark.parametrize("endpoint", HUBBLE, ids=IDS)
def test_a_bad_signature_is_401_and_changes_nothing(client, hubble, endpoint, case):
    body, signature = _bad_signatures(valid_body(endpoint))[case]
    before = snapshot()
    notices = staff_notifications().count()

    response = post(client, endpoint, body, signature=signature)

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert response.json()["code"] == "INVALID_SIGNATURE"
    assert snapshot() == before
    assert staff_notifications().count() == notices
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.signature_valid) == (DeliveryOutcome.REJECTED, False)
    assert bytes(delivery.raw_body) == body


# --- bodies that are signed but wrong -----------------------------------------------------

WRONG_TYPES = {
    HUBBLE_BRAND.name: [
        {"id": ["amazon-pay"], "status": "INACTIVE"},
        {"id": "amazon-pay", "status": {"now": "INACTIVE"}},
        {"id": "amazon-pay", "status": "ACTIVE", "denominations": "100,500"},
        {"id": "amazon-pay", "status": "ACTIVE", "denominations": ["lots"]},
        {"id": "amazon-pay", "status": "ACTIVE", "amountRestrictions": [1, 2]},
        {"id": "amazon-pay", "status": "ACTIVE", "denominationType": "SOMETIMES"},
        {"status": "INACTIVE"},
        {"id": "", "status": "INACTIVE"},
    ],
    HUBBLE_LOW_BALANCE.name: [
        {"balance": "lots", "threshold": 100},
        {"balance": 50, "threshold": None},
        {"balance": [50], "threshold": 100},
        {"balance": True, "threshold": 100},
        {"balance": 1.005, "threshold": 100},
        {"threshold": 100},
    ],
    HUBBLE_ORDER.name: [
        {"id": {"order": HUBBLE_ORDER_ID}, "status": "SUCCESS"},
        {"id": HUBBLE_ORDER_ID, "status": ["SUCCESS"]},
        {"id": HUBBLE_ORDER_ID},
        {"id": None, "status": "SUCCESS"},
        {"id": HUBBLE_ORDER_ID, "status": ""},
    ],
}
TYPE_CASES = [(endpoint, body) for endpoint in HUBBLE for body in WRONG_TYPES[endpoint.name]]


@pytest.mark.parametrize(
    ("endpoint", "payload"),
    TYPE_CASES,
    ids=[f"{endpoint.name}-{index}" for index, (endpoint, _) in enumerate(TYPE_CASES)],
)
def test_wrong_types_are_422_and_change_nothing(client, hubble, endpoint, payload):
    before = snapshot()

    response = send(client, endpoint, payload)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "INVALID_REQUEST_DATA"
    assert snapshot() == before
    assert latest_delivery().signature_valid is True  # signed correctly, refused for content


@pytest.mark.parametrize("body", [b'{"id": ', b"[]", b'"x"', b"\xff\xfe", b"", b"null"])
@pytest.mark.parametrize("endpoint", HUBBLE, ids=IDS)
def test_malformed_json_is_400_and_changes_nothing(client, hubble, endpoint, body):
    before = snapshot()

    response = post(client, endpoint, body)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST_DATA"
    assert snapshot() == before


# --- brand updated --------------------------------------------------------------------------


def brand_update(brand_id="amazon-pay", status="ACTIVE", denominations=(100, 500, 1000), **more):
    return {
        "id": brand_id,
        "denominationType": "FIXED",
        "status": status,
        "denominations": list(denominations),
        "amountRestrictions": {"denominations": list(denominations)},
        **more,
    }


def test_an_inactive_brand_stops_selling_at_once_and_comes_back(client, hubble):
    products = hubble.hubble_products
    amazon = [products[f"amazon-pay:{face}"] for face in (100, 500, 1000)]
    bystanders = [products["amazon-pay-in:100"], products["digiflazz amazon-pay:100"]]
    prices = {p.pk: (p.price_retail, p.price_reseller) for p in amazon}

    response = send(client, HUBBLE_BRAND, brand_update(status="INACTIVE"))

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    for product in amazon:
        assert not for_sale(product, PriceTier.RETAIL)
        assert not for_sale(product, PriceTier.RESELLER)
        product.refresh_from_db()
        assert (product.provider_active, product.price_retail, product.price_reseller) == (
            False,
            None,
            None,
        )
        assert product.unavailable_reason == "inactive at the provider"
    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=amazon[0],
                user=hubble.reseller,
                customer_data={"email": "late@example.com"},
                payment_method=PaymentMethod.BALANCE,
            )
        )
    assert refused.value.code == "not_for_sale"
    assert all(for_sale(product) for product in bystanders)
    assert PriceChange.objects.filter(reason__contains="Hubble brand update").count() == 6
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.reference) == (DeliveryOutcome.PROCESSED, "amazon-pay")

    send(client, HUBBLE_BRAND, brand_update(status="ACTIVE"))

    for product in amazon:
        product.refresh_from_db()
        assert for_sale(product)
        assert (product.price_retail, product.price_reseller) == prices[product.pk]


def test_a_dropped_denomination_stops_only_that_product(client, hubble):
    products = hubble.hubble_products

    send(client, HUBBLE_BRAND, brand_update(denominations=(100, 500)))

    assert for_sale(products["amazon-pay:100"])
    assert for_sale(products["amazon-pay:500"])
    assert not for_sale(products["amazon-pay:1000"])
    dropped = Product.objects.get(pk=products["amazon-pay:1000"].pk)
    assert dropped.price_retail is None
    assert PriceChange.objects.filter(product=dropped, new_price=None).count() == 2


def test_a_flexible_brand_takes_its_new_range(client, hubble):
    steam = hubble.hubble_products["steam"]
    update = {
        "id": "steam",
        "denominationType": "FLEXIBLE",
        "status": "ACTIVE",
        "denominations": [],
        "amountRestrictions": {"minVoucherAmount": 200, "maxVoucherAmount": 5000},
    }

    send(client, HUBBLE_BRAND, update)

    steam.refresh_from_db()
    assert (steam.min_amount, steam.max_amount) == (Decimal("200"), Decimal("5000"))
    assert not for_sale(steam, amount=Decimal("150"))
    assert for_sale(steam, amount=Decimal("300"))
    assert not for_sale(steam, amount=Decimal("6000"))

    send(client, HUBBLE_BRAND, {**update, "status": "INACTIVE"})

    assert not for_sale(steam, amount=Decimal("300"))


@pytest.mark.parametrize(
    "restrictions",
    [
        {"minVoucherAmount": 2000000},  # above the stored max: merged, min > max
        {"maxVoucherAmount": 5},  # below the stored min
    ],
)
@pytest.mark.parametrize("status", ["ACTIVE", "INACTIVE"])
def test_a_brand_update_whose_range_would_leave_min_above_max_keeps_the_range_only(
    client, hubble, restrictions, status
):
    """The status is applied (an INACTIVE brand stops selling at once); only the bad range
    is refused: the stored range stays, staff are told, and Hubble gets its 200 (the rest
    of its update was taken; a refusal would only make it send the whole update again)."""
    steam = hubble.hubble_products["steam"]
    before = (steam.min_amount, steam.max_amount)
    update = {
        "id": "steam",
        "denominationType": "FLEXIBLE",
        "status": status,
        "denominations": [],
        "amountRestrictions": restrictions,
    }

    response = send(client, HUBBLE_BRAND, update)

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    steam.refresh_from_db()
    assert (steam.min_amount, steam.max_amount) == before
    assert steam.provider_active is (status == "ACTIVE")
    assert for_sale(steam, amount=Decimal("300")) is (status == "ACTIVE")
    notice = staff_notifications().get()
    assert "steam" in notice.title
    assert "minimum" in notice.message
    assert "range refused" in latest_delivery().error


def test_a_repeated_brand_update_changes_nothing_more(client, hubble):
    body = json.dumps(brand_update(status="INACTIVE")).encode()
    post(client, HUBBLE_BRAND, body)
    changes = PriceChange.objects.count()
    before = snapshot()

    response = post(client, HUBBLE_BRAND, body)

    assert response.status_code == 200
    assert snapshot() == before
    assert PriceChange.objects.count() == changes


def test_an_unknown_brand_is_acknowledged_and_changes_nothing(client, hubble):
    before = snapshot()

    response = send(client, HUBBLE_BRAND, brand_update(brand_id="no-such-brand", status="INACTIVE"))

    assert response.status_code == 200
    assert snapshot() == before


# --- low balance ------------------------------------------------------------------------------


def test_a_low_balance_is_recorded_and_staff_are_told(client, hubble):
    response = send(client, HUBBLE_LOW_BALANCE, {"balance": 50, "threshold": 100})

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    provider = Provider.objects.get(code="hubble")
    assert provider.last_balance == Decimal("50.00")
    assert provider.last_balance_at is not None
    notice = staff_notifications().get()
    assert "50" in notice.title
    assert notice.level == "warning"
    assert notice.data == {"provider": "hubble"}
    assert latest_delivery().outcome == DeliveryOutcome.PROCESSED


def test_a_low_balance_creates_the_provider_row_when_missing(client, db, settings):
    configure(settings)

    response = send(client, HUBBLE_LOW_BALANCE, {"balance": "12.50", "threshold": 100})

    assert response.status_code == 200
    provider = Provider.objects.get(code="hubble")
    assert (provider.currency, provider.last_balance) == ("INR", Decimal("12.50"))


def test_one_low_balance_callback_tells_staff_once(client, hubble):
    """With a threshold of our own set on the provider, one callback is still one notice."""
    Provider.objects.filter(code="hubble").update(low_balance_threshold=Decimal("100"))

    send(client, HUBBLE_LOW_BALANCE, {"balance": 50, "threshold": 100})

    titles = list(staff_notifications().values_list("title", flat=True))
    assert len(titles) == 1, titles


# --- order status -----------------------------------------------------------------------------


def test_a_known_order_is_polled_now(client, hubble, django_capture_on_commit_callbacks):
    order = hubble.hubble_order
    assert order.next_poll_at > timezone.now()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send(client, HUBBLE_ORDER, {"id": HUBBLE_ORDER_ID, "status": "SUCCESS"})

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING  # the vouchers come with the poll
    # a claimed poll is queued now; if its message is lost, the beat claims it after a lease
    assert order.poll_claim
    assert order.next_poll_at <= timezone.now() + POLL_LEASE
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.order_id, delivery.reference) == (
        DeliveryOutcome.PROCESSED,
        order.pk,
        HUBBLE_ORDER_ID,
    )
    with mock.patch.object(order_poll, "apply_async") as send_poll:
        for callback in callbacks:
            callback()
    send_poll.assert_called_once_with((order.pk, order.poll_claim), countdown=0)


def test_an_unknown_order_is_acknowledged_recorded_and_shown_to_staff(client, hubble):
    before = snapshot()

    response = send(client, HUBBLE_ORDER, {"id": "hbl_nobody_knows", "status": "FAILED"})

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert snapshot() == before
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.reference) == (DeliveryOutcome.UNMATCHED, "hbl_nobody_knows")
    notice = staff_notifications().get()
    assert "hbl_nobody_knows" in notice.title
    assert notice.data == {"delivery": delivery.pk}


def test_an_order_of_another_provider_with_that_id_is_not_matched(client, hubble):
    Order.objects.filter(pk=hubble.digiflazz_order.pk).update(provider_order_id="hbl_shared")
    before = snapshot()

    response = send(client, HUBBLE_ORDER, {"id": "hbl_shared", "status": "SUCCESS"})

    assert response.status_code == 200
    assert snapshot() == before
    assert latest_delivery().outcome == DeliveryOutcome.UNMATCHED


def test_a_finished_order_is_not_polled_again(client, hubble):
    order = hubble.hubble_order
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SUCCESS, next_poll_at=None)

    response = send(client, HUBBLE_ORDER, {"id": HUBBLE_ORDER_ID, "status": "SUCCESS"})

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.next_poll_at) == (OrderStatus.SUCCESS, None)


# --- who may call -----------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", HUBBLE, ids=IDS)
def test_a_call_from_outside_the_allow_list_is_403_and_changes_nothing(
    client, hubble, endpoint, settings
):
    settings.HUBBLE_WEBHOOK_IPS = [ALLOWED_NET]
    before = snapshot()
    notices = staff_notifications().count()

    response = post(client, endpoint, valid_body(endpoint), REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 403
    assert response.json()["code"] == "IP_NOT_ALLOWED"
    assert snapshot() == before
    assert staff_notifications().count() == notices
    delivery = latest_delivery()
    assert (delivery.remote_addr, delivery.outcome) == (OUTSIDE, DeliveryOutcome.REJECTED)
    assert delivery.signature_valid is None


@pytest.mark.parametrize("endpoint", HUBBLE, ids=IDS)
def test_a_call_from_inside_the_allow_list_is_served(client, hubble, endpoint, settings):
    settings.HUBBLE_WEBHOOK_IPS = ["not-a-network", ALLOWED_NET]  # a bad entry is skipped

    response = post(client, endpoint, valid_body(endpoint), REMOTE_ADDR=INSIDE)

    assert response.status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(client, hubble, settings):
    settings.HUBBLE_WEBHOOK_IPS = [ALLOWED_NET]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    before = snapshot()

    response = post(
        client,
        HUBBLE_BRAND,
        valid_body(HUBBLE_BRAND),
        REMOTE_ADDR=OUTSIDE,
        HTTP_X_FORWARDED_FOR=INSIDE,
    )

    assert response.status_code == 403
    assert snapshot() == before
    assert latest_delivery().remote_addr == OUTSIDE


@pytest.mark.parametrize(
    ("forwarded", "status", "caller"),
    [
        (INSIDE, 200, {INSIDE}),
        (f"{INSIDE}, 10.0.0.3", 200, {INSIDE}),  # two proxies of ours
        (f"{INSIDE}, {OUTSIDE}", 403, {OUTSIDE}),  # the caller wrote an allowed address first
        (f"{OUTSIDE}, {INSIDE}", 200, {INSIDE}),
        ("", 403, {PROXY}),  # the proxy itself is not allowed
        ("unknown", 403, {None, PROXY}),  # a proxy passing on garbage: no allowed caller
    ],
    ids=["one hop", "two proxies", "forged prefix", "caller behind", "absent", "garbage"],
)
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    hubble, settings, forwarded, status, caller
):
    settings.HUBBLE_WEBHOOK_IPS = [ALLOWED_NET]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(raise_request_exception=False)
    before = snapshot()

    response = post(
        client,
        HUBBLE_BRAND,
        valid_body(HUBBLE_BRAND),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert response.status_code == status
    if status == 403:
        assert snapshot() == before
    assert latest_delivery().remote_addr in caller


# --- identical deliveries at once -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_five_identical_brand_updates_at_once_apply_once(settings):
    configure(settings)
    world = build_world()
    body = json.dumps(brand_update(status="INACTIVE")).encode()

    replies = deliver_at_once(HUBBLE_BRAND, body, {"HTTP_X_VERIFY": x_verify(body)})

    assert replies == [(200, {"status": "ok"})] * 5
    for face in (100, 500, 1000):
        assert not for_sale(world.hubble_products[f"amazon-pay:{face}"])
    assert PriceChange.objects.filter(reason__contains="Hubble brand update").count() == 6
    assert WebhookDelivery.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_five_identical_low_balance_callbacks_at_once_tell_staff_once(settings):
    configure(settings)
    build_world()
    body = json.dumps(LOW_BALANCE).encode()

    replies = deliver_at_once(HUBBLE_LOW_BALANCE, body, {"HTTP_X_VERIFY": x_verify(body)})

    assert replies == [(200, {"status": "ok"})] * 5
    assert Provider.objects.get(code="hubble").last_balance == Decimal("50.00")
    titles = list(staff_notifications().values_list("title", flat=True))
    assert len(titles) == 1, titles


# --- against the Hubble simulator over HTTP ---------------------------------------------------


@pytest.fixture
def simulator(live_server, settings, monkeypatch):
    """The world, with Hubble's simulator as the provider and its callbacks captured (they
    are delivered by the tests, through the test client)."""
    configure(settings)
    settings.HUBBLE_BASE_URL = live_server.url + "/sim/hubble"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    cache.clear()
    BrandDirectory.forget_all()
    sent = []

    def capture(url, data=None, headers=None, timeout=None):
        sent.append(SimpleNamespace(url=url, body=data, headers=headers))
        return SimpleNamespace(status_code=200)

    monkeypatch.setattr(
        hubble_simulator,
        "requests",
        SimpleNamespace(post=capture, RequestException=requests.RequestException),
    )
    world = build_world()
    yield SimpleNamespace(world=world, callbacks=sent)
    cache.clear()
    BrandDirectory.forget_all()


def place_pending_order(world: World) -> Order:
    """A real order placed at the simulator, pending (scenario 91: pending, then success)."""
    order = order_create(
        purchase=Purchase(
            product=world.hubble_products["amazon-pay:100"],
            user=world.reseller,
            customer_data={"email": "buyer91@example.com"},
            payment_method=PaymentMethod.BALANCE,
        )
    )
    order_pay_with_balance(order=order)  # placed by the (eager) worker on commit
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING, order.provider_message
    assert order.provider_order_id.startswith("hbl_")
    return order


def hubble_finishes(order: Order, callbacks: list) -> SimpleNamespace:
    """Let the simulator resolve the order now; return the callback it sent."""
    SimulatedOrder.objects.filter(provider="hubble", reference=order.code).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    assert simulators_resolve_due() == 1
    (callback,) = callbacks
    assert callback.url.endswith(HUBBLE_ORDER.url)
    return callback


@pytest.mark.django_db(transaction=True)
def test_the_simulators_callback_delivers_the_order(simulator, django_capture_on_commit_callbacks):
    world = simulator.world
    order = place_pending_order(world)
    callback = hubble_finishes(order, simulator.callbacks)
    transfers = {t.pk for t in Transfer.objects.all()}

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            HUBBLE_ORDER.url,
            data=callback.body,
            content_type="application/json",
            HTTP_X_VERIFY=callback.headers["X-Verify"],
        )

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    sim_order = SimulatedOrder.objects.get(provider="hubble", reference=order.code)
    assert [v.code for v in order.vouchers.all()] == [
        v["cardNumber"] for v in sim_order.state["vouchers"]
    ]
    # delivered: the only money movement is the delivering route's cost (sales → costs)
    new = Transfer.objects.exclude(pk__in=transfers)
    assert list(new.values_list("idempotency_key", flat=True)) == [f"order:{order.code}:cost"]
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.order_id) == (DeliveryOutcome.PROCESSED, order.pk)
    assert ledger_check().ok


@pytest.mark.django_db(transaction=True)
def test_five_identical_order_callbacks_at_once_deliver_once(simulator):
    world = simulator.world
    order = place_pending_order(world)
    callback = hubble_finishes(order, simulator.callbacks)
    body = callback.body if isinstance(callback.body, bytes) else callback.body.encode()

    replies = deliver_at_once(HUBBLE_ORDER, body, {"HTTP_X_VERIFY": callback.headers["X-Verify"]})

    assert replies == [(200, {"status": "ok"})] * 5
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.count() == 1
    assert order.events.filter(to_status=OrderStatus.SUCCESS).count() == 1
    assert ledger_check().ok
