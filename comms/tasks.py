"""Celery tasks: thin wrappers that take JSON ids, re-fetch, and are idempotent.

The top of comms: each task calls down into the module that does the work
(sending, the sweeper, the cadence tick), and nothing in comms imports this
module. The outbox enqueues `deliver_task` by its name (`fanout.DELIVER_TASK`);
beat (console/settings.py) names the two ticks. Those names must not change:
queued tasks and the beat schedule refer to them.
"""

from __future__ import annotations

from celery import shared_task
from django.db.utils import OperationalError

from comms import cadence_tick, delivery, fanout, sweeper


@shared_task(
    name=fanout.DELIVER_TASK,
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


@shared_task(name="comms.tasks.sweep_deliveries_task", ignore_result=True, expires=TICK_EXPIRES)
def sweep_deliveries_task() -> int:
    """Re-drive pending deliveries that nobody holds (beat runs this every few seconds)."""
    return sweeper.sweep()


@shared_task(name="comms.tasks.cadence_tick_task", ignore_result=True, expires=TICK_EXPIRES)
def cadence_tick_task() -> None:
    """Claim due cadence deadlines and notify (beat runs this every few seconds)."""
    cadence_tick.run_due()
