"""Property-based fuzz of the six callback endpoints (hypothesis, 500 cases each).

Each case is one POST through django.test.Client of one of:
- random bytes (no signature, a garbage one, or a valid signature over those bytes);
- a random JSON object, unsigned or with a garbage signature;
- a valid signed body mutated byte by byte, sent with the original signature;
- a signed body built from the valid one with fields replaced, dropped or added (random
  JSON, odd numbers, odd strings), so the code past the signature check is fuzzed too;
- a random JSON object, correctly signed;
- a body over the size cap (signed or not);
and each of them now and then sent chunked (Transfer-Encoding, no Content-Length).

Properties: never a 5xx; the reply is JSON in the caller's format; a refused call
(4xx) changes no wallet, transfer, order, voucher, product or provider balance; anything not
signed with the secret is refused; money that moved leaves the ledger consistent; a delivery
whose signature did not verify is stored within the truncation bound (the first KiB of its
body, about a KiB of headers).
Each case runs in a savepoint rolled back afterwards, so every case starts from the same
world (and a failing case shrinks reliably).
"""

import io
import json
import os
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.shan import signature as shan_signature
from shop.models import User
from tests.webhooks.test_common import (
    CAP,
    DIGIFLAZZ,
    ENDPOINTS,
    HUBBLE_BRAND,
    HUBBLE_ORDER_ID,
    IDS,
    SHAN,
    TRIPAY,
    Endpoint,
    World,
    as_sent,
    build_world,
    configure,
    snapshot,
    valid_payload,
)
from wallets.models import DepositMethod
from wallets.selectors import ledger_check
from wallets.services import deposit_create, deposit_gateway_reference
from webhooks.base import UNVERIFIED_BODY_KEPT, UNVERIFIED_HEADERS_KEPT
from webhooks.models import WebhookDelivery

FUZZ = settings(
    max_examples=500,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the shared tree
    derandomize=True,  # the same cases every run: a failure here is never a fluke
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class _RollBack(Exception):
    """Raised at the end of a case to undo it."""


# --- strategies --------------------------------------------------------------------------

ODD_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "null",
    "NaN",
    "Infinity",
    "1e400",
    "1_000",
    " 5 ",
    "0x10",
    "²",
    "DEP-²",
    "DEP-99999999999999999999999",
    "💸",
    "a" * 300,
    "\u0000",
    "TRX-20260101-NOPE00",
    "SKP0101",
    "amazon-pay:100",
    "steam",
    "../../etc/passwd",
    "<script>",
]
odd_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, 10**18, -(10**17)]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [Decimal("1e400"), Decimal("-0"), Decimal("0.001"), Decimal("9999999999999999.99")]
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    odd_numbers,
    st.text(max_size=40),
    st.sampled_from(ODD_TEXT),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(
    st.one_of(st.text(max_size=16), st.sampled_from(["id", "data", "status", "signature"])),
    json_values,
    max_size=8,
)


def encode_json(value, *, ensure_ascii: bool = True) -> str:
    """JSON text with Decimals written as their exact digits (as a caller may send them)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(key), ensure_ascii=ensure_ascii)}:"
            f"{encode_json(item, ensure_ascii=ensure_ascii)}"
            for key, item in value.items()
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode_json(item, ensure_ascii=ensure_ascii) for item in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


def shan_ready(value):
    """Floats as the exact decimal text of their repr (the Shan encoder keeps number text)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {str(key): shan_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shan_ready(item) for item in value]
    return value


def signed(endpoint: Endpoint, payload: dict, *, ascii_only: bool) -> tuple[bytes, dict]:
    """`payload` as a correctly signed call."""
    if endpoint.in_body:
        body = shan_signature.signed_body(endpoint.secret, as_sent(shan_ready(payload)))
        return body, {}
    body = encode_json(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    return body, endpoint.headers(body)


BOUNDARY_NUMBERS = [
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    2**63,
    10**20,
    -(10**17),
    Decimal("1e16"),
    Decimal("1e30"),
    Decimal("9999999999999999.99"),
    Decimal("0.001"),
    Decimal("-0.01"),
    Decimal("1E+400"),  # json.loads makes it float('inf')
    Decimal("9" * 5000),  # past Python's int-from-text digit limit
]
BOUNDARY_TEXT = ["x" * 41, "x" * 101, "x" * 256, "9" * 300, *ODD_TEXT]
# Odd values for a field; the boundaries are weighted up (each is a branch of its own).
nasty = st.one_of(
    st.sampled_from(BOUNDARY_NUMBERS),
    st.sampled_from(BOUNDARY_NUMBERS),
    st.sampled_from(BOUNDARY_TEXT),
    st.sampled_from([True, None, [], {}]),
    st.text(max_size=120),
    odd_numbers,
    json_values,
)


def _paths(value, prefix=()) -> list[tuple]:
    """Every place inside `value` a field could be replaced (keys and list items)."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        found.append((*prefix, key))
        if isinstance(item, dict | list):
            found.extend(_paths(item, (*prefix, key)))
    return found


@st.composite
def variations(draw, base: dict) -> dict:
    """`base` with one to three fields (at any depth: Digiflazz's `data`, Shan's players,
    Hubble's amountRestrictions) replaced by odd values or dropped, and maybe a field
    added: mostly still well-formed, so the call reaches the code past the serializer."""
    out = json.loads(encode_json(base), parse_float=Decimal)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]), label="changes")):
        paths = _paths(out)
        if not paths:
            break
        *parents, last = draw(st.sampled_from(paths), label="path")
        container = out
        for key in parents:
            container = container[key]
        if draw(st.integers(0, 5), label="drop?") == 0 and isinstance(container, dict):
            del container[last]
        else:
            container[last] = draw(nasty, label="value")
    if draw(st.integers(0, 4), label="add?") == 0:
        out[draw(st.text(max_size=10))] = draw(json_values)
    return out


@st.composite
def mutations(draw, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["flip", "delete", "insert", "replace", "truncate"]))
        if operation == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif operation == "delete":
            del data[at]
        elif operation == "insert":
            data.insert(at, draw(st.sampled_from(b' \n\t0{}[]",:\\9ae\xff')))
        elif operation == "replace":
            data[at] = draw(st.integers(0, 255))
        else:
            del data[at:]
    return bytes(data)


# --- the world --------------------------------------------------------------------------------


class FuzzWorld(tuple):
    """(world, references, snapshot), shown briefly in hypothesis' failure reports."""

    def __repr__(self) -> str:
        return "<the shared webhook world>"


@pytest.fixture
def fuzz_world(db, settings) -> FuzzWorld:
    """The shared world plus a pending deposit (a second Tripay target): the world, the
    references into it, and its snapshot (every case is rolled back to it)."""
    configure(settings)
    world = build_world()
    deposit = deposit_create(
        user=User.objects.create_user(username="depositor"),
        amount=Decimal("50000"),
        method=DepositMethod.GATEWAY,
    )
    references = {"deposit": deposit_gateway_reference(deposit)}
    return FuzzWorld((world, references, snapshot()))


def base_payloads(endpoint: Endpoint, world: World, references: dict) -> list[dict]:
    payloads = [valid_payload(endpoint, world)]
    if endpoint is TRIPAY:
        deposit_call = dict(payloads[0], merchant_ref=references["deposit"])
        payloads.append({**deposit_call, "total_amount": 50000, "amount_received": 50000})
        payloads.append({**payloads[0], "total_amount": 1000, "amount_received": 1000})
    if endpoint is DIGIFLAZZ:
        payloads.append({"data": {**payloads[0]["data"], "status": "Gagal", "rc": "02"}})
    if endpoint.name == "hubble-order-status":
        payloads.append({"id": HUBBLE_ORDER_ID, "status": "FAILED"})
    if endpoint.name == "hubble-brand-updated":
        payloads.append(
            {
                "id": "steam",
                "denominationType": "FLEXIBLE",
                "status": "ACTIVE",
                "amountRestrictions": {"minVoucherAmount": 200, "maxVoucherAmount": 5000},
            }
        )
    return payloads


CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/json; charset=utf-8",  # (another charset makes the test client re-encode)
    "",
]


def extra_headers(draw_from, endpoint: Endpoint) -> dict:
    """The fixed headers; now and then an odd content type, or (Digiflazz, Tripay) an odd
    event header."""
    headers = dict(endpoint.fixed_headers)
    if draw_from(st.integers(0, 9)) == 0:
        headers["content_type"] = draw_from(st.sampled_from(CONTENT_TYPES))
    if endpoint in (DIGIFLAZZ, TRIPAY) and draw_from(st.integers(0, 9)) == 0:
        name = "HTTP_X_DIGIFLAZZ_EVENT" if endpoint is DIGIFLAZZ else "HTTP_X_CALLBACK_EVENT"
        headers[name] = draw_from(st.sampled_from(["ping", "create", "", "PAYMENT_STATUS", "💥"]))
    return headers


def draw_call(data, endpoint: Endpoint, world: World, references: dict):
    """(kind, body, headers, must_refuse): one call to make, and whether the shop must
    refuse it for its signature."""
    draw = data.draw
    kind = draw(
        st.sampled_from(["bytes", "json", "mutation", *["signed"] * 5, "signed json", "over cap"]),
        label="kind",
    )
    headers = extra_headers(draw, endpoint)
    base = draw(st.sampled_from(base_payloads(endpoint, world, references)), label="base")
    garbage_signature = draw(
        st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["", "sha1=", "=" * 44])),
        label="signature",
    )

    def with_garbage(body: bytes) -> dict:
        if endpoint.in_body or garbage_signature is None:
            return headers
        try:
            garbage_signature.encode("latin-1")
        except UnicodeEncodeError:
            return headers
        return {**headers, endpoint.signature_meta: garbage_signature}

    if kind == "bytes":
        body = draw(st.binary(max_size=600), label="body")
        if draw(st.booleans(), label="sign the bytes") and not endpoint.in_body:
            return kind, body, {**headers, **endpoint.headers(body)}, False
        return kind, body, with_garbage(body), not endpoint.in_body
    if kind == "json":
        body = encode_json(draw(json_objects, label="object")).encode()
        return kind, body, with_garbage(body), True
    if kind == "over cap":
        original, _ = signed(endpoint, base, ascii_only=True)
        pad = CAP + 1 - len(original) + draw(st.integers(0, 3000), label="over by")
        body = original[:-1] + b" " * pad + original[-1:]  # JSON still, past the cap
        if draw(st.booleans(), label="sign it") and not endpoint.in_body:
            return kind, body, {**headers, **endpoint.headers(body)}, True
        return kind, body, with_garbage(body), True
    if kind == "mutation":
        original, signature_headers = signed(endpoint, base, ascii_only=True)
        body = draw(mutations(original), label="mutated")
        if endpoint.in_body:
            return kind, body, headers, not _shan_still_verifies(body)
        return kind, body, {**headers, **signature_headers}, body != original
    payload = draw(json_objects if kind == "signed json" else variations(base), label="payload")
    ascii_only = draw(st.booleans(), label="ascii")
    body, signature_headers = signed(endpoint, payload, ascii_only=ascii_only)
    return kind, body, {**headers, **signature_headers}, False


def _shan_still_verifies(body: bytes) -> bool:
    try:
        return shan_signature.verify(SHAN.secret, shan_signature.parse_preserving_numbers(body))
    except Exception:  # a body the rule cannot even read does not verify
        return False


# --- the properties ---------------------------------------------------------------------------


def post_chunked(client: Client, endpoint: Endpoint, body: bytes, **headers):
    """As gunicorn hands over a chunked body: no CONTENT_LENGTH, the de-chunked bytes in a
    wsgi.input that ends, `wsgi.input_terminated` set."""
    environ = {key: value for key, value in headers.items() if key != "content_type"}
    environ.update(
        {
            "CONTENT_TYPE": headers.get("content_type", "application/json"),
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
        }
    )
    return client.generic("POST", endpoint.url, **environ)


def check_stored_within_bound(delivery: WebhookDelivery | None) -> None:
    """An unverified delivery keeps no more than the truncation bound."""
    if delivery is None or delivery.signature_valid is True:
        return
    assert len(bytes(delivery.raw_body)) <= UNVERIFIED_BODY_KEPT
    assert len(json.dumps(delivery.headers)) <= UNVERIFIED_HEADERS_KEPT + 200


def check_call(
    client: Client, endpoint: Endpoint, call, world_before: dict, *, chunked: bool = False
) -> None:
    kind, body, headers, must_refuse = call
    last_before = WebhookDelivery.objects.order_by("-pk").values_list("pk", flat=True).first()
    if chunked:
        response = post_chunked(client, endpoint, body, **headers)
    else:
        response = endpoint.post(client, body, **headers)
    status = response.status_code
    if status >= 500:
        delivery = WebhookDelivery.objects.order_by("-pk").first()
        raise AssertionError(
            f"{kind}: HTTP {status} for {body[:300]!r}: {delivery.error if delivery else ''}"
        )
    reply = json.loads(response.content)
    assert isinstance(reply, dict)
    delivery = WebhookDelivery.objects.order_by("-pk").first()
    assert delivery is not None
    assert delivery.pk != last_before, "no delivery row was written"
    check_stored_within_bound(delivery)
    if kind == "over cap":
        assert status == 413, f"{kind}: {len(body)} bytes answered {status}: {reply}"
    elif must_refuse:
        assert status in (400, 401), f"{kind}: unsigned call answered {status}: {reply}"
        if not endpoint.in_body:
            assert status == 401, f"{kind}: parsed before the signature was checked: {reply}"
    if status >= 400:
        assert reply.get("code"), reply
        assert snapshot() == world_before, f"{kind}: HTTP {status} {reply} changed something"
    else:
        after = snapshot()
        if after["transfers"] != world_before["transfers"]:
            report = ledger_check()
            assert report.ok, report.problems


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
@FUZZ
@given(data=st.data())
def test_no_call_gets_a_5xx_or_changes_anything_when_refused(fuzz_world, endpoint, data):
    world, references, before = fuzz_world
    call = draw_call(data, endpoint, world, references)
    chunked = data.draw(st.integers(0, 3), label="chunked?") == 0
    client = Client()
    try:
        with transaction.atomic():
            check_call(client, endpoint, call, before, chunked=chunked)
            raise _RollBack
    except _RollBack:
        pass


# --- what the fuzz found, pinned (each a correctly signed call that got a 500) --------------


def _tripay(world, **fields):
    return {**valid_payload(TRIPAY, world), **fields}


def _digiflazz(world, **fields):
    payload = valid_payload(DIGIFLAZZ, world)
    return {"data": {**payload["data"], **fields}}


def _shan(world, **fields):
    return {**valid_payload(SHAN, world), **fields}


FOUND = {
    "tripay: PAID with a total of 0 for an order": (
        TRIPAY,
        lambda w, r: _tripay(w, total_amount=0, amount_received=1000),
    ),
    "tripay: PAID with a negative total for an order": (
        TRIPAY,
        lambda w, r: _tripay(w, total_amount=-5, amount_received=-5),
    ),
    "tripay: paid_at far in the future": (TRIPAY, lambda w, r: _tripay(w, paid_at=10**17)),
    "tripay: a deposit reference with a superscript digit": (
        TRIPAY,
        lambda w, r: _tripay(w, merchant_ref="DEP-²"),
    ),
    "tripay: an unlisted field of 1e400": (
        TRIPAY,
        lambda w, r: _tripay(w, fee_merchant=Decimal("1e400")),
    ),
    "digiflazz: an sn of 300 characters": (DIGIFLAZZ, lambda w, r: _digiflazz(w, sn="9" * 300)),
    "digiflazz: a trx_id of 300 characters": (
        DIGIFLAZZ,
        lambda w, r: _digiflazz(w, trx_id="9" * 300, status="Pending", rc="03"),
    ),
    "digiflazz: an unlisted field of 1e400": (
        DIGIFLAZZ,
        lambda w, r: _digiflazz(w, buyer_last_saldo=Decimal("1e400")),
    ),
    "shan: game_type_id 2**31": (SHAN, lambda w, r: _shan(w, game_type_id=2**31)),
    "shan: a balance the clearing account cannot hold": (
        SHAN,
        lambda w, r: _shan(
            w,
            players=[
                {"player_id": "alice", "balance": Decimal("9999999999999999.99")},
                {"player_id": "SKP0101", "balance": Decimal("9849.50")},
            ],
        ),
    ),
    "hubble brand: minVoucherAmount 1e30": (
        HUBBLE_BRAND,
        lambda w, r: {
            "id": "steam",
            "status": "ACTIVE",
            "amountRestrictions": {"minVoucherAmount": Decimal("1e30")},
        },
    ),
    "hubble brand: maxVoucherAmount 'Infinity'": (
        HUBBLE_BRAND,
        lambda w, r: {
            "id": "steam",
            "status": "ACTIVE",
            "amountRestrictions": {"maxVoucherAmount": "Infinity"},
        },
    ),
}


@pytest.mark.parametrize("case", list(FOUND))
def test_a_signed_odd_value_gets_no_5xx(fuzz_world, case):
    world, references, before = fuzz_world
    endpoint, payload = FOUND[case]
    call = ("signed", *signed(endpoint, payload(world, references), ascii_only=True), False)

    check_call(Client(), endpoint, call, before)


# --- what a flood of unsigned calls costs on disk ------------------------------------------------

# A stored row of an unverified delivery: the kept body and headers, plus the row's own
# columns, its index entries and page overhead (generously).
ROW_BOUND = UNVERIFIED_BODY_KEPT + UNVERIFIED_HEADERS_KEPT + 2048


def _table_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('webhooks_webhookdelivery')")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_flood_of_unsigned_big_bodies_grows_the_table_only_by_the_truncation_bound(
    fuzz_world, endpoint
):
    """The issue's measure: 400 posts of 65 KB grew the table by 27 MB. Bodies at the cap,
    over it, and both sent chunked, all incompressible, all unsigned (or wrongly signed)."""
    client = Client()
    calls = 80
    before_rows = WebhookDelivery.objects.count()
    before = _table_bytes()

    for i in range(calls):
        size = CAP if i % 2 == 0 else CAP + 1 + i
        body = os.urandom(size)
        headers = {} if endpoint.in_body else {endpoint.signature_meta: "0" * 64}
        headers.update(endpoint.fixed_headers)
        if i % 4 < 2:
            response = endpoint.post(client, body, **headers)
        else:
            response = post_chunked(client, endpoint, body, **headers)
        assert response.status_code in (400, 401, 413), response.content

    growth = _table_bytes() - before
    assert WebhookDelivery.objects.count() == before_rows + calls
    assert growth <= calls * ROW_BOUND, f"{growth} bytes for {calls} unsigned calls"
    assert growth < calls * CAP // 10  # what storing them whole would have cost, by far
