"""Beat's regulatory tick: reminders and escalations of regulatory deadlines."""

from __future__ import annotations

from celery import shared_task

from regulatory import clocks


@shared_task(name="regulatory.tasks.regulatory_tick_task", ignore_result=True)
def regulatory_tick_task() -> int:
    return clocks.run_due()
