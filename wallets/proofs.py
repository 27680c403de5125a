"""Deposit proofs: which files are accepted, how they are named when stored, and the type
they are served with.

A proof is accepted only when its first bytes are those of a PNG, JPEG or WebP image or a
PDF: the name and the type the browser claims are the sender's to choose, the bytes are
what a browser would act on. It is stored under a random name with the extension of its
real kind, so no stored name ends in `.html` or `.svg`.
"""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext_lazy as _

PROOF_MAX_BYTES = 5 * 1024 * 1024
# Served for a stored file of no accepted kind (one stored before proofs were checked).
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class ProofKind:
    content_type: str
    extension: str


PNG = ProofKind("image/png", "png")
JPEG = ProofKind("image/jpeg", "jpg")
WEBP = ProofKind("image/webp", "webp")
PDF = ProofKind("application/pdf", "pdf")


def proof_kind_of_bytes(head: bytes) -> ProofKind | None:
    """The accepted kind whose signature `head` (a file's first 16 bytes) starts with."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def proof_kind(file: File) -> ProofKind | None:
    """The accepted kind of `file` by its first bytes; the file's position is kept. A stored
    file that is not open is opened for the look and closed again (never left open)."""
    if getattr(file, "closed", False):
        with file.open("rb") as opened:
            return proof_kind_of_bytes(opened.read(16) or b"")
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        head = file.read(16)
    finally:
        file.seek(position)
    return proof_kind_of_bytes(head or b"")


def validate_deposit_proof(file: File) -> None:
    """The one check every door that accepts a proof runs (a form field's and the model
    field's validator): an image or a PDF by its bytes, at most PROOF_MAX_BYTES."""
    if file.size is not None and file.size > PROOF_MAX_BYTES:
        raise ValidationError(_("The proof may be at most 5 MB."), code="proof_too_large")
    if proof_kind(file) is None:
        raise ValidationError(
            _("Upload a PNG, JPEG or WebP image, or a PDF."), code="proof_not_accepted"
        )


def proof_upload_to(instance, filename: str) -> str:
    """A random name with the extension of the file's real kind; the sent name is dropped."""
    try:
        kind = proof_kind(instance.proof)
    except ValueError:  # saved through FieldFile.save(): the content is not on the field yet
        kind = None
    extension = kind.extension if kind is not None else "bin"
    return f"deposit-proofs/{uuid.uuid4().hex}.{extension}"
