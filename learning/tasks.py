"""Celery tasks of the learning loop. Beat only ticks; the work is in database rows."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="learning.tasks.learning_tick_task", ignore_result=True)
def learning_tick_task() -> dict:
    """Claim and run what is due: overdue action items and drill replay steps."""
    from learning import actions
    from learning.drills import runs

    now = timezone.now()
    return {"action_items": actions.run_due(now=now), "drills": runs.run_due(now=now)}
