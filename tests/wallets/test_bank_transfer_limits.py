"""The bank-transfer door cannot fill the disk or the staff queue: a per-user rate limit,
a cap on undecided bank transfers per user (a form error), and the proofs of rejected
deposits deleted after their retention period."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.orders.fixtures import make_user
from wallets.models import Deposit, DepositMethod, DepositStatus
from wallets.services import deposit_create, deposit_credit, deposit_reject
from wallets.tasks import deposits_prune_rejected_proofs

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n" + b"\x00" * 40
BIG_PDF = b"%PDF-1.7\n" + b"\x00" * (4 * 1024 * 1024)  # 4 MiB of anything after the magic


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(make_user(username))
    return client


def send(client, content: bytes = PDF):
    return client.post(
        reverse("accounts:deposit-bank-transfer"),
        {"amount": "100000", "proof": SimpleUploadedFile("r.pdf", content)},
        follow=True,
    )


def test_one_user_cannot_store_unbounded_proofs(media):
    """The reviewer's flood: 25 posts of 4 MiB from one account."""
    client = signed_in("mallory")

    replies = [send(client, BIG_PDF) for _ in range(25)]

    assert {reply.status_code for reply in replies} == {200}
    assert Deposit.objects.filter(status=DepositStatus.PENDING).count() == 3
    assert sum(path.stat().st_size for path in stored_files(media)) < 13 * 1024 * 1024


def test_a_fourth_undecided_transfer_is_a_form_error_and_stores_nothing(media, settings):
    settings.BANK_TRANSFER_MAX_UNDECIDED = 3
    client = signed_in("rina")
    for _ in range(3):
        send(client)

    refused = send(client)

    assert "You already have 3 bank transfers waiting" in refused.content.decode()
    assert Deposit.objects.count() == 3
    assert len(stored_files(media)) == 3

    deposit_credit(deposit=Deposit.objects.first())  # staff decided one: room for one more
    send(client)
    assert Deposit.objects.filter(status=DepositStatus.PENDING).count() == 3


def test_the_undecided_cap_is_per_user(media, settings):
    settings.BANK_TRANSFER_MAX_UNDECIDED = 1
    send(signed_in("rina"))

    send(signed_in("rudi"))

    assert Deposit.objects.count() == 2


def test_past_the_rate_limit_a_transfer_is_refused_and_nothing_is_stored(media, settings):
    settings.BANK_TRANSFER_MAX_UNDECIDED = 100
    settings.BANK_TRANSFERS_PER_HOUR = 2
    client = signed_in("rina")
    send(client)
    send(client)

    refused = send(client)

    assert "Too many bank transfers" in refused.content.decode()
    assert Deposit.objects.count() == 2
    assert len(stored_files(media)) == 2
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        send(client)  # one more every 60 / 2 minutes
    assert Deposit.objects.count() == 3


def old_deposit(user, *, status: str, age: timedelta) -> Deposit:
    deposit = deposit_create(
        user=user,
        amount=Decimal("100000"),
        method=DepositMethod.BANK_TRANSFER,
        proof=ContentFile(PDF, name="r.pdf"),
    )
    if status == DepositStatus.REJECTED:
        deposit = deposit_reject(deposit=deposit, note="no money came")
    elif status == DepositStatus.CREDITED:
        deposit = deposit_credit(deposit=deposit)
    Deposit.objects.filter(pk=deposit.pk).update(updated_at=timezone.now() - age)
    return Deposit.objects.get(pk=deposit.pk)


def test_proofs_of_rejected_deposits_are_deleted_after_the_retention(media, settings):
    settings.DEPOSIT_REJECTED_PROOF_RETENTION_DAYS = 30
    user = make_user("rina")
    doomed = old_deposit(user, status=DepositStatus.REJECTED, age=timedelta(days=31))
    recent = old_deposit(user, status=DepositStatus.REJECTED, age=timedelta(days=29))
    credited = old_deposit(user, status=DepositStatus.CREDITED, age=timedelta(days=400))
    pending = old_deposit(user, status=DepositStatus.PENDING, age=timedelta(days=400))
    doomed_path = media / doomed.proof.name

    assert deposits_prune_rejected_proofs.delay().get() == 1

    assert not doomed_path.exists()
    doomed.refresh_from_db()
    assert not doomed.proof
    assert doomed.status == DepositStatus.REJECTED  # the record stays; only the file goes
    for kept in (recent, credited, pending):
        kept.refresh_from_db()
        assert kept.proof
        assert (media / kept.proof.name).exists()
    assert deposits_prune_rejected_proofs.delay().get() == 0
