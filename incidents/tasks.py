"""Celery tasks of the incident domain: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from incidents.decision_log import checkpoints

# Beat sends this every LOG_CHECKPOINT_SECONDS; a run that waited longer than
# that in the queue is dropped, the next one signs the same heads.
CHECKPOINT_EXPIRES = 600


@shared_task(ignore_result=True, expires=CHECKPOINT_EXPIRES)
def checkpoint_logs_task() -> int:
    """Sign every decision-log head that moved since its last checkpoint."""
    return len(checkpoints.checkpoint_logs())
