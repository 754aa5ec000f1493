"""The cadence with a real Celery worker and beat on a real Redis.

A reminder goes out within 10 seconds of its deadline, and it still goes out
(once) when the worker or Redis was down at the deadline: deadlines are rows,
and whichever tick runs after the recovery claims them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms import workflows
from comms.models import Deadline, Delivery
from incidents.choices import Role
from incidents.services import assign_role
from tests.helpers import wait_until

REMINDER_SLA = timedelta(seconds=10)


@pytest.fixture
def deadline(transactional_db, commander, responder, fraud_model):
    """The technical deadline of a live SEV2 incident (the other audiences' pushed an hour away)."""
    incident = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    deadlines = Deadline.objects.open().filter(incident=incident)
    deadlines.exclude(audience="technical").update(due_at=timezone.now() + timedelta(hours=1))
    return deadlines.get(audience="technical")


def fall_due_in(deadline: Deadline, seconds: float) -> Deadline:
    Deadline.objects.filter(pk=deadline.pk).update(
        due_at=timezone.now() + timedelta(seconds=seconds)
    )
    deadline.refresh_from_db()
    return deadline


def delivered_reminders(deadline: Deadline) -> list[Delivery]:
    return list(
        Delivery.objects.filter(
            deadline=deadline, kind="reminder", channel="inapp", status="delivered"
        )
    )


def assert_one_reminder_each(deadline: Deadline) -> None:
    rows = Delivery.objects.filter(deadline=deadline, kind="reminder")
    assert sorted((d.user.username, d.channel) for d in rows) == [
        ("cara", "email"),
        ("cara", "inapp"),
        ("remy", "email"),
        ("remy", "inapp"),
    ]
    deadline.refresh_from_db()
    assert deadline.outcome == "missed"


def test_a_reminder_reaches_the_commander_within_ten_seconds(deadline, celery_worker_process, beat):
    due_soon = fall_due_in(deadline, 2)
    rows = wait_until(
        lambda: len(delivered_reminders(due_soon)) == 2 and delivered_reminders(due_soon),
        timeout=30,
        what="in-app reminders delivered",
    )

    for row in rows:
        assert row.delivered_at - due_soon.due_at <= REMINDER_SLA, (
            row.delivered_at - due_soon.due_at
        )
    assert_one_reminder_each(due_soon)


def test_a_reminder_survives_a_worker_that_was_down_at_the_deadline(
    deadline, celery_redis, celery_worker_factory, beat
):
    due_soon = fall_due_in(deadline, 1)
    wait_until(
        lambda: timezone.now() > due_soon.due_at + timedelta(seconds=3),
        timeout=10,
        what="the deadline to pass",
    )
    assert not Delivery.objects.filter(deadline=due_soon).exists()  # nobody to claim it yet

    restarted_at = timezone.now()
    celery_worker_factory(celery_redis)

    rows = wait_until(
        lambda: len(delivered_reminders(due_soon)) == 2 and delivered_reminders(due_soon),
        timeout=30,
        what="reminders after the worker came back",
    )
    assert max(r.delivered_at for r in rows) - restarted_at <= REMINDER_SLA
    assert_one_reminder_each(due_soon)


def test_a_reminder_survives_redis_being_down_at_the_deadline(
    deadline, celery_redis, celery_worker_process, beat
):
    celery_redis.stop()
    due_soon = fall_due_in(deadline, 1)
    wait_until(
        lambda: timezone.now() > due_soon.due_at + timedelta(seconds=3),
        timeout=10,
        what="the deadline to pass",
    )
    assert not Delivery.objects.filter(deadline=due_soon).exists()

    celery_redis.start()

    wait_until(
        lambda: len(delivered_reminders(due_soon)) == 2,
        timeout=60,
        what="reminders once Redis is back",
    )
    assert_one_reminder_each(due_soon)
