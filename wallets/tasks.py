"""Thin Celery wrappers of the wallets services."""

from celery import shared_task
from django.conf import settings

from wallets.services import deposit_prune_rejected_proofs


@shared_task(name="wallets.tasks.deposits_prune_rejected_proofs")
def deposits_prune_rejected_proofs() -> int:
    """Daily (beat): delete the proofs of deposits rejected over
    DEPOSIT_REJECTED_PROOF_RETENTION_DAYS ago."""
    return deposit_prune_rejected_proofs(
        older_than_days=settings.DEPOSIT_REJECTED_PROOF_RETENTION_DAYS
    )
