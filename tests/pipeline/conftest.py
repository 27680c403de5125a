"""Fixtures of the pipeline tests: the upstream simulators over live_server, products
for sale at each, a funded buyer, a travelling clock, and real Celery workers."""

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from providers.hubble import simulator_state
from providers.hubble.catalog import BrandDirectory
from shop.models import PriceTier
from tests.catalog.factories import PricingRuleFactory
from tests.conftest import stop_process, wait_until
from tests.orders.fixtures import fund, make_user
from tests.pipeline.support import UPSTREAMS, make_product

BASE_DIR = django_settings.BASE_DIR


@pytest.fixture
def sims(live_server, settings):
    """Every upstream adapter pointed at its simulator in this process's live server, and
    the simulators' callbacks pointed back at it. Returns the live server's URL."""
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.HUBBLE_BASE_URL = live_server.url + "/sim/hubble"
    settings.FOXRELOAD_BASE_URL = live_server.url + "/sim/foxreload"
    settings.VIPRESELLER_BASE_URL = live_server.url + "/sim/vipreseller/api"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    # The Hubble simulator's wallet lives in the cache; the brand list is cached per process.
    simulator_state.set_wallet_balance(simulator_state.START_BALANCE)
    BrandDirectory.forget_all()
    mail.outbox.clear()
    yield live_server.url
    BrandDirectory.forget_all()


@pytest.fixture
def pricing(transactional_db):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))


@pytest.fixture
def products(pricing) -> dict:
    """provider code → a product of that provider, for sale at the simulator's price."""
    return {code: make_product(code) for code in UPSTREAMS}


@pytest.fixture
def buyer(transactional_db):
    user = make_user("buyer")
    fund(user, Decimal("10000000"))
    return user


@pytest.fixture
def clock() -> Iterator:
    """Time that runs on from now and can be moved ahead (`clock.shift(timedelta)`).
    The live server's thread (the simulators) sees the same time."""
    traveller = time_machine.travel(timezone.now(), tick=True)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()


# --- real workers -------------------------------------------------------------------------------
def database_url_of_this_test() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _clear_unacked() -> None:
    """A killed worker leaves its message in the broker's unacked set (acks_late): drop it,
    so no later run of these tests ever gets it back."""
    import redis

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete("unacked", "unacked_index", "unacked_mutex")
    client.close()


@pytest.fixture
def start_worker(transactional_db, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real Celery workers (`--pool solo`) on Redis against this test's database.

    `start_worker(env={...})` returns the process once it answers a ping; `env` goes on top
    of this process's environment (set provider URLs there). Workers still running at the
    end are stopped; their logs are printed (shown when the test failed).
    """
    from shop.celery import app

    app.control.purge()
    started: list[tuple[subprocess.Popen, object]] = []

    def start(env: dict[str, str] | None = None) -> subprocess.Popen:
        name = f"pipeline-{os.getpid()}-{uuid.uuid4().hex[:6]}@localhost"
        log_path = tmp_path / f"{name}.log"
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": database_url_of_this_test(),
            **(env or {}),
        }
        command = [
            *(sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool", "solo"),
            *("--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("--hostname", name),
        ]
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                command, cwd=BASE_DIR, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
        started.append((worker, log_path))
        ready = wait_until(
            lambda: bool(app.control.ping(destination=[name], timeout=0.5)), timeout=60
        )
        assert ready, "the Celery worker did not start:\n" + log_path.read_text()
        return worker

    yield start
    for worker, log_path in started:
        stop_process(worker, timeout=20)
        print(f"--- {log_path.name}\n{log_path.read_text()}")
    app.control.purge()
    _clear_unacked()
