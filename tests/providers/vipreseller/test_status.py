"""VIP Reseller's one status table: every documented status, and the money rule (only
`error` is a final failure; anything else never refunds)."""

import pytest

from providers.base import FINAL_FAILURES, FailureKind, ProviderStatus
from providers.vipreseller.status import (
    STATUS_TABLE,
    failure_kind,
    is_out_of_balance,
    transaction_status,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("waiting", ProviderStatus.PENDING),
        ("processing", ProviderStatus.PENDING),
        ("success", ProviderStatus.SUCCESS),
        ("error", ProviderStatus.FAILED),
        ("SUCCESS", ProviderStatus.SUCCESS),
        (" Error ", ProviderStatus.FAILED),
    ],
)
def test_every_documented_status_is_mapped(status, expected):
    assert transaction_status(status) == expected


def test_the_table_holds_exactly_the_documented_statuses():
    assert set(STATUS_TABLE) == {"waiting", "processing", "success", "error"}


@pytest.mark.parametrize("status", ["", "partial", "failed", "refund", "pending", None])
def test_a_status_outside_the_table_is_unknown_never_a_refund(status):
    assert transaction_status(status) == ProviderStatus.UNKNOWN
    assert transaction_status(status) not in FINAL_FAILURES


def test_only_error_may_refund():
    refunding = {name for name, rule in STATUS_TABLE.items() if rule.status in FINAL_FAILURES}
    assert refunding == {"error"}


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Zone tujuan salah.", FailureKind.ACCOUNT),
        ("Player ID Tidak Ditemukan.", FailureKind.ACCOUNT),
        ("Saldo anda tidak mencukupi untuk melakukan pemesanan ini.", FailureKind.UNAVAILABLE),
        ("Layanan sedang tidak tersedia.", FailureKind.UNAVAILABLE),
        ("Produk sedang gangguan", FailureKind.UNAVAILABLE),
        ("Something else", FailureKind.SUPPLIER),
        ("", FailureKind.SUPPLIER),
    ],
)
def test_failure_kinds_from_the_message(message, kind):
    assert failure_kind(message) == kind


def test_out_of_balance_is_read_from_the_refusal():
    assert is_out_of_balance("Saldo anda tidak mencukupi untuk melakukan pemesanan ini.")
    assert not is_out_of_balance("Layanan tidak ditemukan.")
