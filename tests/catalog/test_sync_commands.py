"""sync_catalog and provider_balance, with in-test adapters behind the registry boundary
(`providers.registry.get_adapter` monkeypatched)."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product, Provider, ProviderKind, SyncRun
from providers import registry
from providers.base import (
    Balance,
    FinalProviderError,
    NotConfigured,
    TransientProviderError,
)
from tests.catalog.factories import PricingRuleFactory
from tests.catalog.test_sync import ListAdapter, item
from tests.conftest import run_manage

pytestmark = pytest.mark.django_db


class BalanceAdapter(ListAdapter):
    def __init__(self, balance: Balance | None = None, *, error: Exception | None = None):
        super().__init__()
        self.balance = balance
        self.balance_error = error

    def get_balance(self) -> Balance:
        if self.balance_error is not None:
            raise self.balance_error
        return self.balance


@pytest.fixture
def adapters(monkeypatch):
    """code → adapter served by the registry; a code left out is not configured."""
    served = {}

    def get_adapter(code):
        if code not in served:
            raise NotConfigured(f"{code} is not configured: set {code.upper()}_KEY.")
        return served[code]

    monkeypatch.setattr(registry, "get_adapter", get_adapter)
    return served


@pytest.fixture(autouse=True)
def rule():
    return PricingRuleFactory(percent=Decimal("10"))


def _lines(text: str) -> list[str]:
    return text.splitlines()


# --- sync_catalog ------------------------------------------------------------------------------


def test_sync_catalog_syncs_one_provider_with_progress_and_a_summary(adapters, capsys):
    adapters["digiflazz"] = ListAdapter([item(f"ML{n}") for n in range(20)])

    call_command("sync_catalog", "--provider", "digiflazz")

    out = _lines(capsys.readouterr().out)
    assert out[0] == "digiflazz: fetched 20 items"
    assert out[1:11] == [f"digiflazz: {p}% ({p // 5} of 20 items)" for p in range(10, 101, 10)]
    assert out[11].startswith("digiflazz: success in ")
    assert out[11].endswith(
        "created 20, updated 0, deactivated 0, hidden 0; unchanged 0, errors 0, prices changed 20"
    )
    assert len(out) == 12
    assert Product.objects.filter(provider__code="digiflazz").count() == 20


def test_sync_catalog_creates_the_provider_rows_from_the_defaults(adapters, capsys):
    adapters["digiflazz"] = ListAdapter([item("ML86")])
    adapters["hubble"] = ListAdapter([item("AMZ:500", "500", currency="INR")])
    adapters["foxreload"] = ListAdapter([item("STEAM5", "5", currency="USD")])
    adapters["vipreseller"] = ListAdapter([item("MLA86-S1", "19943")])

    call_command("sync_catalog")

    rows = {
        p.code: (p.kind, p.currency, p.exchange_rate)
        for p in Provider.objects.filter(
            code__in=["digiflazz", "hubble", "foxreload", "vipreseller"]
        )
    }
    assert rows == {
        "digiflazz": (ProviderKind.UPSTREAM, "IDR", Decimal("1")),
        "hubble": (ProviderKind.UPSTREAM, "INR", Decimal("190")),
        "foxreload": (ProviderKind.UPSTREAM, "USD", Decimal("16000")),
        "vipreseller": (ProviderKind.UPSTREAM, "IDR", Decimal("1")),
    }
    assert Product.objects.get(provider_sku="AMZ:500").price_retail == Decimal("104500.00")
    assert Product.objects.get(provider_sku="STEAM5").price_retail == Decimal("88000.00")
    summaries = [line for line in _lines(capsys.readouterr().out) if " success in " in line]
    assert [line.split(":")[0] for line in summaries] == [
        "digiflazz",
        "hubble",
        "foxreload",
        "vipreseller",
    ]


def test_sync_catalog_never_overwrites_what_an_admin_set(adapters):
    Provider.objects.create(
        code="foxreload", name="Fox", kind=ProviderKind.UPSTREAM, currency="USD",
        exchange_rate=Decimal("15500"),
    )  # fmt: skip
    adapters["foxreload"] = ListAdapter([item("STEAM5", "5", currency="USD")])

    call_command("sync_catalog", "--provider", "foxreload")

    provider = Provider.objects.get(code="foxreload")
    assert (provider.name, provider.exchange_rate) == ("Fox", Decimal("15500"))
    assert Product.objects.get(provider_sku="STEAM5").price_retail == Decimal("85250.00")


def test_sync_catalog_skips_disabled_providers_unless_named(adapters, capsys):
    for code in ("digiflazz", "hubble", "foxreload", "vipreseller"):
        Provider.objects.create(code=code, name=code, kind=ProviderKind.UPSTREAM, enabled=False)
    adapters["hubble"] = ListAdapter([item("AMZ:500")])

    call_command("sync_catalog")
    assert capsys.readouterr().out == "No enabled upstream provider to sync.\n"

    call_command("sync_catalog", "--provider", "hubble")
    assert SyncRun.objects.get().provider.code == "hubble"


def test_a_failed_fetch_is_one_line_and_the_other_providers_still_sync(adapters, capsys):
    adapters["digiflazz"] = ListAdapter(error=TransientProviderError("timeout after 20 s"))
    adapters["hubble"] = ListAdapter([item("AMZ:500", currency="INR")])
    adapters["foxreload"] = ListAdapter(error=FinalProviderError("invalid API key"))
    adapters["vipreseller"] = ListAdapter([item("FF70-S1", "9114")])

    with pytest.raises(CommandError) as failed:
        call_command("sync_catalog")

    assert str(failed.value) == (
        "Sync failed: digiflazz: failed: fetch failed: timeout after 20 s; "
        "foxreload: failed: fetch failed: invalid API key"
    )
    assert Product.objects.filter(provider__code="hubble").count() == 1
    assert SyncRun.objects.filter(status=SyncRun.Status.FAILED).count() == 2


def test_a_missing_credential_is_one_line(adapters):
    with pytest.raises(CommandError) as failed:
        call_command("sync_catalog", "--provider", "hubble")

    assert str(failed.value) == (
        "Sync failed: hubble: failed: fetch failed: hubble is not configured: set HUBBLE_KEY."
    )


def test_a_sync_already_running_is_one_line(adapters, monkeypatch):
    adapters["digiflazz"] = ListAdapter([item("ML86")])
    monkeypatch.setattr("providers.sync.runs._has_advisory_locks", lambda: False)
    SyncRun.objects.create(provider=Provider.objects.create(code="digiflazz", kind="upstream"))

    with pytest.raises(CommandError) as failed:
        call_command("sync_catalog", "--provider", "digiflazz")

    assert str(failed.value) == "Sync failed: digiflazz: A sync of digiflazz is already running."


@pytest.mark.parametrize("code", ["nope", "tripay"])
def test_an_unknown_or_gateway_code_is_refused(adapters, code):
    with pytest.raises(CommandError) as failed:
        call_command("sync_catalog", "--provider", code)

    assert str(failed.value) == (
        f"Unknown upstream provider '{code}' (known: digiflazz, hubble, foxreload, vipreseller)."
    )


@pytest.mark.parametrize("command", ["sync_catalog", "provider_balance"])
def test_from_the_shell_an_error_is_one_line_on_stderr_and_exit_status_1(command):
    result = run_manage(
        command, "--provider", "nope", env={"DJANGO_SETTINGS_MODULE": "shop.settings.test"}
    )

    assert result.returncode == 1
    assert result.stderr == (
        "CommandError: Unknown upstream provider 'nope' "
        "(known: digiflazz, hubble, foxreload, vipreseller).\n"
    )


# --- provider_balance ------------------------------------------------------------------------


def test_provider_balance_stores_and_prints_the_balance(adapters, capsys):
    adapters["digiflazz"] = BalanceAdapter(Balance(Decimal("1500000"), "IDR"))

    call_command("provider_balance", "--provider", "digiflazz")

    assert capsys.readouterr().out == "digiflazz: balance 1,500,000.00 IDR\n"
    provider = Provider.objects.get(code="digiflazz")
    assert provider.last_balance == Decimal("1500000.00")
    assert provider.last_balance_at is not None


def test_provider_balance_says_when_the_balance_is_below_the_threshold(adapters, capsys):
    Provider.objects.create(
        code="hubble", name="Hubble", kind=ProviderKind.UPSTREAM, currency="INR",
        low_balance_threshold=Decimal("5000"),
    )  # fmt: skip
    adapters["hubble"] = BalanceAdapter(Balance(Decimal("1000.50"), "INR"))

    call_command("provider_balance", "--provider", "hubble")

    assert capsys.readouterr().out == (
        "hubble: balance 1,000.50 INR (below the low-balance threshold 5,000.00)\n"
    )
    assert Provider.objects.get(code="hubble").last_balance == Decimal("1000.50")


def test_provider_balance_reads_every_provider_and_reports_the_failures_in_one_line(
    adapters, capsys
):
    adapters["digiflazz"] = BalanceAdapter(error=TransientProviderError("connection reset"))
    adapters["foxreload"] = BalanceAdapter(Balance(Decimal("12.34"), "USD"))
    adapters["vipreseller"] = BalanceAdapter(Balance(Decimal("522"), "IDR"))

    with pytest.raises(CommandError) as failed:
        call_command("provider_balance")

    assert str(failed.value) == (
        "Balance check failed: digiflazz: the provider is unreachable: connection reset; "
        "hubble: hubble is not configured: set HUBBLE_KEY."
    )
    assert capsys.readouterr().out == (
        "foxreload: balance 12.34 USD\nvipreseller: balance 522.00 IDR\n"
    )
    assert Provider.objects.get(code="foxreload").last_balance == Decimal("12.34")
    assert Provider.objects.get(code="vipreseller").last_balance == Decimal("522")
    assert Provider.objects.get(code="digiflazz").last_balance is None


def test_a_refused_balance_check_is_one_line(adapters):
    adapters["digiflazz"] = BalanceAdapter(error=FinalProviderError("IP not allow-listed (45)"))

    with pytest.raises(CommandError) as failed:
        call_command("provider_balance", "--provider", "digiflazz")

    assert str(failed.value) == (
        "Balance check failed: digiflazz: the provider refused the balance check: "
        "IP not allow-listed (45)"
    )
