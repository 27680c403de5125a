"""Thin Celery wrappers around the webhooks services."""

from celery import shared_task
from django.conf import settings

from webhooks.services import webhook_prune_unverified


@shared_task(name="webhooks.tasks.webhooks_prune_unverified")
def webhooks_prune_unverified() -> int:
    """Daily (beat): drop unverified deliveries past WEBHOOK_REJECTED_RETENTION_DAYS."""
    return webhook_prune_unverified(older_than_days=settings.WEBHOOK_REJECTED_RETENTION_DAYS)
