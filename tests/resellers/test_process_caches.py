"""API keys and pricing rules are kept in each process's memory (shop.local_cache): a key
revoked or a rule changed, by this process or another, is seen within a second of the
commit. "Another process" is a real one (`manage.py shell`), which cannot touch this
process's memory: only the version it publishes in Redis reaches here."""

import os
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from catalog.models import PricingRule
from catalog.selectors import pricing_rules
from resellers.key_cache import api_keys
from resellers.models import ApiKey
from resellers.services import api_key_create, api_key_revoke
from shop.local_cache import CHECK_EVERY
from shop.models import PriceTier
from tests.conftest import run_manage
from tests.orders.fixtures import RESELLER_PRICE, fund, make_user
from tests.resellers.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)
BALANCE = "/api/v1/balance"
VALIDATE = "/api/v1/orders/validate"
BODY = {"product_id": None, "customer_data": {"user_id": "12345678"}}


def in_another_process(code: str) -> None:
    db = connection.settings_dict
    result = run_manage(
        "shell",
        "-c",
        code,
        env={
            "DJANGO_SETTINGS_MODULE": "shop.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "TEST_REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        },
    )
    assert result.returncode == 0, result.stderr


def one_second_later(monkeypatch, *caches) -> None:
    """This process's clock for the caches moves on by CHECK_EVERY: the next call reads
    the version again."""
    later = time.monotonic() + CHECK_EVERY
    for cache in caches:
        monkeypatch.setattr(cache, "clock", lambda: later)


@pytest.fixture
def reseller_key(funded_reseller):
    api_key, raw = api_key_create(user=funded_reseller, name="cached")
    return api_key, ApiClient(raw)


def test_a_key_revoked_in_another_process_is_refused_within_a_second(reseller_key, monkeypatch):
    api_key, api = reseller_key
    assert api.get(BALANCE).status_code == 200  # the key is now in this process's memory

    in_another_process(
        "from resellers.models import ApiKey; from resellers.services import api_key_revoke; "
        f"api_key_revoke(api_key=ApiKey.objects.get(pk={api_key.pk}))"
    )
    one_second_later(monkeypatch, api_keys)
    reply = api.get(BALANCE)

    assert reply.status_code == 401
    assert reply.json() == {"code": "invalid_key", "message": "This API key was revoked."}


def test_a_key_revoked_here_is_refused_at_once(reseller_key):
    api_key, api = reseller_key
    assert api.get(BALANCE).status_code == 200

    api_key_revoke(api_key=api_key)

    assert api.get(BALANCE).status_code == 401


def test_an_owner_who_stops_being_a_reseller_is_refused_within_a_second(reseller_key, monkeypatch):
    api_key, api = reseller_key
    assert api.get(BALANCE).status_code == 200

    in_another_process(
        f"from shop.models import User; u = User.objects.get(pk={api_key.user_id}); "
        "u.role = 'customer'; u.save()"
    )
    one_second_later(monkeypatch, api_keys)

    assert api.get(BALANCE).status_code == 403


def test_a_cached_key_answers_without_reading_its_row(reseller_key, django_assert_num_queries):
    _api_key, api = reseller_key
    api.get(BALANCE)  # loads the key (and writes last_used_at once)

    with django_assert_num_queries(1):  # the wallet only
        assert api.get(BALANCE).status_code == 200


def test_a_rule_changed_in_another_process_prices_orders_within_a_second(
    api, priced_product, monkeypatch
):
    body = {**BODY, "product_id": priced_product.pk}
    assert api.post(VALIDATE, body).json()["price"] == str(RESELLER_PRICE)  # cost + 2%
    rule = PricingRule.objects.get(tier=PriceTier.RESELLER)

    in_another_process(
        "from decimal import Decimal; from catalog.models import PricingRule; "
        f"r = PricingRule.objects.get(pk={rule.pk}); r.percent = Decimal('7'); r.save()"
    )
    one_second_later(monkeypatch, pricing_rules, api_keys)

    assert api.post(VALIDATE, body).json()["price"] == "10700.00"


def test_a_rule_deleted_here_stops_sales_at_once(api, priced_product):
    body = {**BODY, "product_id": priced_product.pk}
    assert api.post(VALIDATE, body).status_code == 200

    PricingRule.objects.filter(tier=PriceTier.RESELLER).get().delete()

    reply = api.post(VALIDATE, body)
    assert reply.status_code == 422
    assert reply.json()["code"] == "not_for_sale"


def test_a_rule_change_rolled_back_is_never_cached(api, priced_product):
    """The connection that changed a rule reads it uncommitted; it must not keep it."""
    body = {**BODY, "product_id": priced_product.pk}
    rule = PricingRule.objects.get(tier=PriceTier.RESELLER)

    class Abandoned(Exception):
        pass

    def change_price_then_abandon():
        with transaction.atomic():
            rule.percent = Decimal("50")
            rule.save()
            assert api.post(VALIDATE, body).json()["price"] == "15000.00"
            raise Abandoned

    with pytest.raises(Abandoned):
        change_price_then_abandon()

    assert api.post(VALIDATE, body).json()["price"] == str(RESELLER_PRICE)


def test_without_redis_every_call_reads_the_database(api, priced_product, monkeypatch):
    """A cache that cannot say whether it is current is not used (nothing goes stale)."""

    class Unreachable:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("Redis is down")

            return fail

    monkeypatch.setattr("shop.local_cache.cache", Unreachable())
    body = {**BODY, "product_id": priced_product.pk}
    assert api.post(VALIDATE, body).status_code == 200
    ApiKey.objects.update(revoked_at="2026-01-01T00:00Z")  # no signal: only a read sees it

    assert api.post(VALIDATE, body).status_code == 401


def test_another_resellers_key_is_cached_apart(other_api, api):
    assert api.get(BALANCE).status_code == 200
    assert other_api.get(BALANCE).status_code == 200
    fund(make_user("third", reseller=True), Decimal("1"))

    assert api.get(BALANCE).status_code == 200
    assert other_api.get(BALANCE).status_code == 200


def test_a_sign_in_keeps_the_cached_keys(reseller_key, django_assert_num_queries):
    """Every sign-in saves the user's `last_login`; that changes nothing a key check reads."""
    api_key, api = reseller_key
    api.get(BALANCE)
    owner = api_key.user
    owner.last_login = owner.date_joined
    owner.save(update_fields=["last_login"])

    with django_assert_num_queries(1):  # the wallet only: the key is still cached
        assert api.get(BALANCE).status_code == 200
