"""Celery tasks of the learning loop. Beat only ticks; the work is in database rows."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="learning.tasks.learning_tick_task", ignore_result=True)
def learning_tick_task() -> dict:
    """Claim and run what is due: overdue action items (reviews) and drill replay steps (drills)."""
    done: dict = {}
    # Filled in by the reviews and drills work: each returns counts of what it handled.
    return done
