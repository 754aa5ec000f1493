"""Celery tasks: thin wrappers that take JSON ids, re-fetch, and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db.utils import OperationalError

from comms import delivery


@shared_task(
    acks_late=True,
    # A database that is briefly unreachable or locked: retry the batch. Any
    # other error leaves the rows to the sweeper once their lease runs out.
    autoretry_for=(OperationalError,),
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
)
def deliver_task(delivery_ids: list[str]) -> dict[str, int]:
    """Send the deliveries named by *delivery_ids* that are still due."""
    return dict(delivery.deliver(delivery_ids))


# Beat sends a tick every few seconds: a tick that waited in the queue longer
# than this (workers down) is dropped, the next one does the same work.
TICK_EXPIRES = 60


@shared_task(ignore_result=True, expires=TICK_EXPIRES)
def sweep_deliveries_task() -> int:
    """Re-drive pending deliveries that nobody holds (beat runs this every few seconds)."""
    return delivery.sweep()


@shared_task(ignore_result=True, expires=TICK_EXPIRES)
def cadence_tick_task() -> None:
    """Claim due cadence deadlines and notify (beat runs this every few seconds)."""
    from comms.cadence import run_due

    run_due()
