"""Celery entry points of the public status page: thin wrappers, ids in, idempotent."""

from __future__ import annotations

from celery import shared_task

from publicstatus import notices, outbox
from publicstatus.maintenance import NOTIFY_TASK

SWEEP_EXPIRES = 30


@shared_task(name="publicstatus.tasks.notify_customer_update_task", ignore_result=True)
def notify_customer_update_task(update_id: int) -> None:
    notices.notify_customer_update(update_id)


@shared_task(name=NOTIFY_TASK, ignore_result=True)
def notify_maintenance_task(update_id: int) -> None:
    notices.notify_maintenance_update(update_id)


@shared_task(name=outbox.SEND_TASK, ignore_result=True)
def send_notices_task(ids: list[int]) -> None:
    outbox.send(ids)


@shared_task(
    name="publicstatus.tasks.sweep_notices_task", ignore_result=True, expires=SWEEP_EXPIRES
)
def sweep_notices_task() -> None:
    notices.catch_up()
    outbox.sweep()
