"""Deposit proofs: accepted only as PNG, JPEG, WebP or PDF judged by their bytes (not their
name), wherever a proof is accepted (the wallet page's bank-transfer form and the admin),
and served to staff as a download with a safe content type, never rendered by the shop's
origin."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.orders.fixtures import make_user
from wallets.models import Deposit, DepositMethod, DepositStatus
from wallets.services import deposit_create

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"\x00" * 40
HTML = b"<html><script>alert(document.cookie)</script></html>"
NOT_ACCEPTED = "Upload a PNG, JPEG or WebP image, or a PDF."
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def buyer_client(db):
    client = Client()
    client.force_login(make_user("rita", reseller=True))
    return client


def send_bank_transfer(client, content: bytes, name: str, amount: str = "100000"):
    return client.post(
        reverse("accounts:deposit-bank-transfer"),
        {"amount": amount, "proof": SimpleUploadedFile(name, content)},
        follow=True,
    )


@pytest.mark.parametrize(
    ("content", "name", "stored_as"),
    [
        (PNG, "receipt.png", "png"),
        (JPEG, "receipt.jpg", "jpg"),
        (WEBP, "receipt.webp", "webp"),
        (PDF, "receipt.pdf", "pdf"),
        (PNG, "receipt.html", "png"),  # judged by its bytes; stored under its real kind
    ],
)
def test_the_wallet_page_accepts_an_image_or_pdf_proof(
    buyer_client, media, content, name, stored_as
):
    response = send_bank_transfer(buyer_client, content, name)

    assert response.status_code == 200
    deposit = Deposit.objects.get()
    assert (deposit.method, deposit.status, deposit.amount) == (
        DepositMethod.BANK_TRANSFER,
        DepositStatus.PENDING,
        Decimal("100000"),
    )
    assert deposit.proof.name.endswith(f".{stored_as}")
    assert name not in deposit.proof.name
    with deposit.proof.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (HTML, "receipt.png", NOT_ACCEPTED),  # an HTML page named like an image
        (SVG, "receipt.svg", NOT_ACCEPTED),
        (SVG, "receipt.jpg", NOT_ACCEPTED),
        (b"GIF89a" + b"\x00" * 20, "receipt.gif", NOT_ACCEPTED),
        (b"", "receipt.png", "The submitted file is empty."),
    ],
)
def test_the_wallet_page_refuses_anything_else_with_a_form_error(
    buyer_client, media, content, name, error
):
    response = send_bank_transfer(buyer_client, content, name)

    assert error in response.content.decode()
    assert not Deposit.objects.exists()
    assert not any(media.rglob("*.*"))


def test_a_bank_transfer_needs_a_proof_and_an_amount_in_range(buyer_client, media):
    no_proof = buyer_client.post(
        reverse("accounts:deposit-bank-transfer"), {"amount": "100000"}, follow=True
    )
    too_small = send_bank_transfer(buyer_client, PNG, "r.png", amount="5")

    assert "This field is required." in no_proof.content.decode()
    assert "Top up from" in too_small.content.decode()
    assert not Deposit.objects.exists()


@pytest.fixture
def bank_deposit(media):
    deposit = deposit_create(
        user=make_user("rina", reseller=True),
        amount=Decimal("100000"),
        method=DepositMethod.BANK_TRANSFER,
    )
    return deposit


def admin_attach(client, deposit, content: bytes, name: str):
    return client.post(
        reverse("admin:wallets_deposit_change", args=[deposit.pk]),
        {"proof": SimpleUploadedFile(name, content)},
    )


def test_the_admin_refuses_a_proof_that_is_not_an_image_or_pdf(finance_client, bank_deposit):
    response = admin_attach(finance_client, bank_deposit, HTML, "proof.png")

    assert response.status_code == 200
    assert "Upload a PNG, JPEG or WebP image, or a PDF." in response.content.decode()
    bank_deposit.refresh_from_db()
    assert not bank_deposit.proof


def test_the_admin_accepts_a_pdf_proof(finance_client, bank_deposit):
    response = admin_attach(finance_client, bank_deposit, PDF, "statement.html")

    assert response.status_code == 302
    bank_deposit.refresh_from_db()
    assert bank_deposit.proof.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PNG, "image/png"), (PDF, "application/pdf"), (HTML, "application/octet-stream")],
)
def test_a_proof_is_served_as_a_download_with_a_safe_type(
    finance_client, bank_deposit, content, content_type
):
    # HTML: a file stored before proofs were checked is still never served as a page.
    bank_deposit.proof.save("old.html", ContentFile(content))

    response = finance_client.get(reverse("ops-deposit-proof", args=[bank_deposit.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content


def test_the_deposit_service_refuses_a_proof_that_is_not_an_image_or_pdf(media):
    from shop.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        deposit_create(
            user=make_user("rina"),
            amount=Decimal("100000"),
            method=DepositMethod.BANK_TRANSFER,
            proof=SimpleUploadedFile("proof.png", HTML),
        )

    assert refused.value.code == "proof_not_accepted"
    assert not Deposit.objects.exists()


def test_attaching_a_proof_while_another_person_approves_changes_nothing(
    finance_client, bank_deposit, monkeypatch
):
    """The change form read the deposit as pending; an Approve commits before it saves. The
    save must not write the deposit back to pending (credited with no status to match)."""
    from wallets.admin import DepositAdmin
    from wallets.services import deposit_credit

    read_before_approve = DepositAdmin.get_object

    def approved_meanwhile(self, request, object_id, from_field=None):
        deposit = read_before_approve(self, request, object_id, from_field)
        if request.method == "POST":
            deposit_credit(deposit=Deposit.objects.get(pk=deposit.pk))
        return deposit

    monkeypatch.setattr(DepositAdmin, "get_object", approved_meanwhile)

    response = finance_client.post(
        reverse("admin:wallets_deposit_change", args=[bank_deposit.pk]),
        {"proof": SimpleUploadedFile("late.pdf", PDF), "note": "late proof"},
        follow=True,
    )

    assert response.status_code == 200
    assert "already decided" in response.content.decode()
    bank_deposit.refresh_from_db()
    assert bank_deposit.status == DepositStatus.CREDITED
    assert bank_deposit.transfer_id is not None
    assert not bank_deposit.proof
    assert bank_deposit.note == ""


def test_the_admin_saves_only_the_proof_and_note_of_an_undecided_deposit(
    finance_client, bank_deposit
):
    Deposit.objects.filter(pk=bank_deposit.pk).update(amount=Decimal("123"))  # stale in form

    response = finance_client.post(
        reverse("admin:wallets_deposit_change", args=[bank_deposit.pk]),
        {"proof": SimpleUploadedFile("p.pdf", PDF), "note": "checked"},
    )

    assert response.status_code == 302
    bank_deposit.refresh_from_db()
    assert bank_deposit.proof.name.endswith(".pdf")
    assert bank_deposit.note == "checked"
    assert bank_deposit.amount == Decimal("123")
    assert bank_deposit.status == DepositStatus.PENDING
