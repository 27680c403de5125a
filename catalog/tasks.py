"""Thin Celery wrappers around catalog services."""

from celery import shared_task

from catalog.models import SyncRun
from catalog.sync import catalog_sync_all as sync_all


@shared_task(name="catalog.tasks.catalog_sync_all")
def catalog_sync_all() -> None:
    sync_all()


@shared_task(name="catalog.tasks.catalog_sync_demo", bind=True, max_retries=12)
def catalog_sync_demo(self) -> None:
    """`make run`'s first catalog: the simulators answer once the web process is up, so a
    failed provider is tried again a few seconds later."""
    runs = sync_all()
    if not runs or any(run.status != SyncRun.Status.SUCCESS for run in runs):
        raise self.retry(countdown=5)
