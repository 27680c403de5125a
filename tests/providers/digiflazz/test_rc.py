"""The one rc table: every documented code is in it, and `status` is the truth."""

import pytest

from providers.base import ProviderStatus
from providers.digiflazz.rc import RC_TABLE, is_out_of_balance, transaction_status

# docs/providers/digiflazz.md
DOCUMENTED = [
    *("00", "01", "02", "03", "40", "41", "42", "43", "44", "45", "47", "49", "50", "51"),
    *("52", "53", "54", "55", "57", "58", "59", "62", "63", "66", "67", "68", "69", "70"),
    *("71", "74", "80", "81", "82", "83", "84", "85", "87", "99"),
]


def test_every_documented_rc_is_in_the_table():
    assert set(DOCUMENTED) <= set(RC_TABLE)


@pytest.mark.parametrize("rc", sorted(RC_TABLE))
def test_a_failed_status_never_turns_into_success_or_pending(rc):
    assert transaction_status(rc, "Gagal") in (
        ProviderStatus.FAILED,
        ProviderStatus.UNKNOWN,
        ProviderStatus.NOT_FOUND,
    )


@pytest.mark.parametrize(
    ("rc", "status", "expected"),
    [
        ("00", "", ProviderStatus.SUCCESS),
        ("03", "", ProviderStatus.PENDING),
        ("99", "", ProviderStatus.PENDING),
        ("02", "", ProviderStatus.FAILED),
        ("85", "Gagal", ProviderStatus.UNKNOWN),
        ("85", "Pending", ProviderStatus.PENDING),  # then a transaction exists after all
        ("49", "Sukses", ProviderStatus.SUCCESS),
        ("50", "Gagal", ProviderStatus.NOT_FOUND),
        ("00", "gagal", ProviderStatus.FAILED),  # case-insensitive; status wins
        ("", "", ProviderStatus.UNKNOWN),  # nothing to go by
        ("123", "", ProviderStatus.FAILED),
    ],
)
def test_transaction_status(rc, status, expected):
    assert transaction_status(rc, status) == expected


def test_only_a_failed_rc_44_means_the_provider_is_out_of_balance():
    assert is_out_of_balance("44", ProviderStatus.FAILED)
    assert not is_out_of_balance("44", ProviderStatus.PENDING)
    assert not is_out_of_balance("02", ProviderStatus.FAILED)
