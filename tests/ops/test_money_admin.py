"""Wallet adjustments, deposits and the ledger in the admin."""

import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.orders.fixtures import balance_of, make_user
from wallets.models import BalanceMutation, Deposit, DepositMethod, DepositStatus, Transfer
from wallets.services import deposit_create, wallet_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet(db):
    return wallet_for_user(user=make_user("rita", reseller=True))


def adjust(client, wallet, amount="2500.00", reason="goodwill credit", token=None):
    url = reverse("admin:wallets_wallet_adjust", args=[wallet.pk])
    return client.post(url, {"amount": amount, "reason": reason, "token": token or uuid.uuid4()})


def test_finance_adjusts_a_wallet_with_one_transfer_attributed_to_them(finance_client, wallet):
    token = uuid.uuid4()

    first = adjust(finance_client, wallet, token=token)
    adjust(finance_client, wallet, token=token)  # a double submit of the same form

    assert first.status_code == 302
    assert balance_of(wallet.user) == Decimal("2500.00")
    transfer = Transfer.objects.get(reference=f"wallet:{wallet.pk}")
    assert transfer.actor.username == "fin-finance"
    assert transfer.memo == "goodwill credit"


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_adjust_form_refuses_an_empty_reason(finance_client, wallet, reason):
    response = adjust(finance_client, wallet, reason=reason)

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Transfer.objects.exists()


def test_the_adjust_form_refuses_zero_and_an_overdraft(finance_client, wallet):
    assert "must not be zero" in adjust(finance_client, wallet, amount="0").content.decode()
    overdraft = adjust(finance_client, wallet, amount="-1.00")
    assert overdraft.status_code == 200
    assert "errorlist" in overdraft.content.decode()
    assert not Transfer.objects.exists()


def test_support_cannot_adjust_a_wallet(support_client, wallet):
    url = reverse("admin:wallets_wallet_adjust", args=[wallet.pk])

    assert support_client.get(url).status_code == 403
    assert adjust(support_client, wallet).status_code == 403
    assert not Transfer.objects.exists()
    page = support_client.get(reverse("admin:wallets_wallet_change", args=[wallet.pk]))
    assert page.status_code == 200
    assert "Adjust balance" not in page.content.decode()


@pytest.mark.parametrize("who", ["admin_client", "finance_client"])
def test_nobody_can_edit_or_delete_a_leg(request, finance_client, wallet, who):
    adjust(finance_client, wallet)
    client = request.getfixturevalue(who)
    leg = BalanceMutation.objects.first()
    info = "admin:wallets_balancemutation"

    assert client.post(reverse(f"{info}_change", args=[leg.pk]), {"amount": "1"}).status_code == 403
    assert client.post(reverse(f"{info}_delete", args=[leg.pk]), {"post": "yes"}).status_code == 403
    leg.refresh_from_db()
    assert leg.amount != Decimal("1")


@pytest.fixture
def bank_deposit(wallet, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    deposit = deposit_create(
        user=wallet.user, amount=Decimal("100000"), method=DepositMethod.BANK_TRANSFER
    )
    deposit.proof.save("proof.png", ContentFile(b"PNG-PROOF"))
    return deposit


def decide(client, deposit, action):
    return client.post(
        reverse("admin:wallets_deposit_changelist"),
        {"action": action, "_selected_action": [deposit.pk]},
        follow=True,
    )


def test_finance_approves_a_bank_deposit_through_the_ledger(finance_client, bank_deposit):
    decide(finance_client, bank_deposit, "approve_selected")
    decide(finance_client, bank_deposit, "approve_selected")

    bank_deposit.refresh_from_db()
    assert bank_deposit.status == DepositStatus.CREDITED
    assert bank_deposit.decided_by.username == "fin-finance"
    assert balance_of(bank_deposit.user) == Decimal("100000")
    assert Transfer.objects.filter(idempotency_key=f"deposit:{bank_deposit.pk}:credit").count() == 1


def test_finance_rejects_a_deposit_and_cannot_reject_a_credited_one(finance_client, bank_deposit):
    decide(finance_client, bank_deposit, "reject_selected")
    bank_deposit.refresh_from_db()
    assert bank_deposit.status == DepositStatus.REJECTED
    assert balance_of(bank_deposit.user) == 0
    page = decide(finance_client, bank_deposit, "approve_selected").content.decode()
    assert "cannot be credited" in page


def test_support_cannot_decide_deposits_or_see_the_proof(support_client, bank_deposit):
    decide(support_client, bank_deposit, "approve_selected")

    bank_deposit.refresh_from_db()
    assert bank_deposit.status == DepositStatus.PENDING
    assert (
        support_client.get(reverse("ops-deposit-proof", args=[bank_deposit.pk])).status_code == 403
    )


def test_finance_sees_the_uploaded_proof(finance_client, bank_deposit):
    response = finance_client.get(reverse("ops-deposit-proof", args=[bank_deposit.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PNG-PROOF"
    page = finance_client.get(reverse("admin:wallets_deposit_change", args=[bank_deposit.pk]))
    assert reverse("ops-deposit-proof", args=[bank_deposit.pk]) in page.content.decode()


def test_a_deposit_cannot_be_deleted(admin_client, bank_deposit):
    url = reverse("admin:wallets_deposit_delete", args=[bank_deposit.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Deposit.objects.filter(pk=bank_deposit.pk).exists()
