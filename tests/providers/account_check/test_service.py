"""providers.account_check: which provider answers, the cache, outages, the rate limits.
Digiflazz's real adapter answers for PLN; its HTTP is faked with `responses`."""

import pytest
import responses

from catalog.models import InputSchema, Product, Provider
from providers.account_check import (
    AccountCheck,
    AccountCheckStatus,
    account_check,
    account_check_supported,
    rate_limit_for_address,
    rate_limit_for_api_key,
)
from providers.defaults import provider_ensure
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.digiflazz.client import DigiflazzClient
from providers.registry import UPSTREAM_ADAPTERS
from shop.ratelimit import redis_client
from tests.catalog.factories import BrandFactory, ProductFactory, ProviderFactory

pytestmark = pytest.mark.django_db

BASE = "https://api.digiflazz.com/v1"
URL = f"{BASE}/inquiry-pln"
METER = "53123456789"


def found(meter: str = METER, name: str = "SITI RAHAYU") -> dict:
    return {
        "data": {
            "message": "Transaksi Sukses",
            "status": "Sukses",
            "rc": "00",
            "customer_no": meter,
            "meter_no": meter,
            "subscriber_id": "523300817840",
            "name": name,
            "segment_power": "R1 /000001300",
        }
    }


NOT_FOUND = {"data": {"rc": "54", "status": "Gagal", "message": "Nomor Tujuan Salah"}}


@pytest.fixture
def pln(account_checks, settings):
    settings.DIGIFLAZZ_BASE_URL = BASE
    brand = BrandFactory(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    ProductFactory(provider=provider_ensure("digiflazz"), provider_sku="PLN20", brand=brand)
    return brand


def check(brand, meter: str = METER, **kwargs) -> AccountCheck:
    return account_check(brand=brand, fields={"meter_number": meter}, **kwargs)


@responses.activate
def test_found_is_cached_and_the_second_check_asks_nobody(pln):
    responses.post(URL, json=found())

    first, second = check(pln), check(pln)

    assert first == AccountCheck(
        AccountCheckStatus.FOUND,
        name="SITI RAHAYU",
        extra={
            "meter_no": METER,
            "subscriber_id": "523300817840",
            "segment_power": "R1 /000001300",
        },
        provider="digiflazz",
    )
    assert second.cached
    assert second.found
    assert (second.name, second.extra) == (first.name, first.extra)
    assert len(responses.calls) == 1


@responses.activate
def test_answers_are_kept_for_the_configured_time(pln, settings):
    settings.ACCOUNT_CHECK_CACHE_SECONDS = 120
    responses.post(URL, json=found())

    check(pln)

    client = redis_client(settings.REDIS_URL)
    (key,) = list(client.scan_iter("*account-check:v1:*"))
    assert 100 <= client.ttl(key) <= 120


@responses.activate
def test_not_found_is_cached_too(pln):
    responses.post(URL, json=NOT_FOUND, status=400)

    results = [check(pln), check(pln)]

    assert [result.status for result in results] == [AccountCheckStatus.NOT_FOUND] * 2
    assert results[1].cached
    assert len(responses.calls) == 1


@responses.activate
def test_an_outage_is_never_cached(pln):
    responses.post(URL, body="down", status=503)
    assert check(pln).status == AccountCheckStatus.UNAVAILABLE
    assert check(pln).status == AccountCheckStatus.UNAVAILABLE
    assert len(responses.calls) == 2  # asked again: one call each, no retry for a buyer

    responses.replace(responses.POST, URL, json=found())
    assert check(pln).found


@responses.activate
def test_another_account_is_another_cache_entry(pln):
    responses.post(URL, json=found())
    check(pln)
    responses.replace(responses.POST, URL, json=found("53123456780", "BUDI SANTOSO"))

    assert check(pln, "53123456780").name == "BUDI SANTOSO"
    assert check(pln).name == "SITI RAHAYU"
    assert len(responses.calls) == 2


@responses.activate
def test_a_brand_nobody_checks_is_unsupported_and_asks_nobody(pln):
    phone = BrandFactory(input_schema=InputSchema.PHONE)

    assert not account_check_supported(phone)
    assert account_check(brand=phone, fields={"phone": "081234567890"}).status == (
        AccountCheckStatus.UNSUPPORTED
    )
    assert account_check_supported(pln)
    assert len(responses.calls) == 0


@responses.activate
def test_checks_switched_off_ask_nobody(pln, settings):
    settings.ACCOUNT_CHECKS_ENABLED = False

    assert not account_check_supported(pln)
    assert check(pln).status == AccountCheckStatus.UNSUPPORTED
    assert len(responses.calls) == 0


@responses.activate
def test_a_disabled_provider_is_not_asked(pln):
    Provider.objects.filter(code="digiflazz").update(enabled=False)

    assert check(pln).status == AccountCheckStatus.UNAVAILABLE
    assert len(responses.calls) == 0


@responses.activate
@pytest.mark.parametrize(
    "limit_of",
    [
        lambda who: rate_limit_for_address(f"203.0.113.{who}"),
        lambda who: rate_limit_for_api_key(f"rk_test{who}"),
    ],
    ids=["per-address", "per-key"],
)
def test_the_rate_limit_counts_checks_that_reach_a_provider(pln, settings, limit_of):
    settings.ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE = 2
    settings.ACCOUNT_CHECKS_PER_KEY_PER_MINUTE = 2
    responses.post(URL, json=found())
    mine = (limit_of(1),)

    allowed = [check(pln, f"5312345678{n}", rate_limits=mine) for n in range(2)]
    refused = check(pln, "53123456782", rate_limits=mine)

    assert all(result.found for result in allowed)
    assert refused.status == AccountCheckStatus.RATE_LIMITED
    assert refused.retry_after >= 1
    assert len(responses.calls) == 2  # the refused check asked nobody
    # an answer in the cache costs nothing, even past the limit
    assert check(pln, "53123456780", rate_limits=mine).found
    # another caller has a bucket of its own
    assert check(pln, "53123456782", rate_limits=(limit_of(2),)).found
    assert len(responses.calls) == 3


class SecondDigiflazz(DigiflazzAdapter):
    """Another provider with the same PLN check at another address (a second account)."""

    code = "digiflazz_b"

    @classmethod
    def from_settings(cls) -> "SecondDigiflazz":
        client = DigiflazzClient(username="b", api_key="b-key", base_url=SECOND_BASE)
        return cls(client=client)


SECOND_BASE = "https://second.example/v1"


@pytest.fixture
def two_providers(pln, monkeypatch):
    """digiflazz (first in the registry, sells nothing of PLN here) and digiflazz_b (after
    it, sells the brand's item)."""
    monkeypatch.setitem(UPSTREAM_ADAPTERS, "digiflazz_b", f"{__name__}.{SecondDigiflazz.__name__}")
    Product.objects.filter(brand=pln).delete()
    ProductFactory(provider=ProviderFactory(code="digiflazz_b"), brand=pln)
    return pln


@responses.activate
def test_the_provider_that_sells_the_brand_is_asked_first(two_providers):
    responses.post(f"{SECOND_BASE}/inquiry-pln", json=found(name="FROM SECOND"))
    responses.post(URL, json=found(name="FROM FIRST"))

    result = check(two_providers)

    assert (result.name, result.provider) == ("FROM SECOND", "digiflazz_b")
    assert [call.request.url for call in responses.calls] == [f"{SECOND_BASE}/inquiry-pln"]


@responses.activate
def test_a_provider_that_cannot_answer_hands_over_to_the_next(two_providers):
    responses.post(f"{SECOND_BASE}/inquiry-pln", body="down", status=500)
    responses.post(URL, json=found(name="FROM FIRST"))

    result = check(two_providers)

    assert (result.name, result.provider) == ("FROM FIRST", "digiflazz")
    assert len(responses.calls) == 2


@responses.activate
def test_a_not_found_answer_decides_without_asking_the_next(two_providers):
    responses.post(f"{SECOND_BASE}/inquiry-pln", json=NOT_FOUND, status=400)
    responses.post(URL, json=found(name="FROM FIRST"))

    assert check(two_providers).status == AccountCheckStatus.NOT_FOUND
    assert len(responses.calls) == 1
