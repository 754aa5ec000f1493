"""Overdue action items with a real Celery worker and beat on a real Redis.

Beat runs the learning tick at its deployed period (CADENCE_TICK_SECONDS, 1 s)
and the delivery sweeper every second; the owner's reminder must be delivered
(in-app and e-mail) once, within seconds of the due time, also when the worker
was down at that moment.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Delivery
from learning.actions import create_action_item
from learning.models import ActionItem
from tests.helpers import wait_until

REMINDER_SLA = timedelta(seconds=10)


@pytest.fixture(autouse=True)
def console_mail(monkeypatch):
    """Workers (started after this) send e-mail through the console backend: it lands in their log."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")


@pytest.fixture
def due_soon(transactional_db, incident, commander, responder):
    def make(seconds: float) -> ActionItem:
        now = timezone.now()
        return create_action_item(
            incident=incident,
            by=commander,
            title="Alert on FP rate",
            owner=responder,
            due_at=now + timedelta(seconds=seconds),
            expected_outcome="Paged in 5 min",
            category="monitoring",
            now=now,
        )

    return make


def delivered(item: ActionItem) -> list[Delivery]:
    return list(
        Delivery.objects.filter(kind="action", incident=item.incident, status="delivered")
        .select_related("user")
        .order_by("channel")
    )


def assert_one_reminder_to_the_owner(item: ActionItem) -> None:
    rows = Delivery.objects.filter(kind="action", incident=item.incident).select_related("user")
    assert sorted((d.user.username, d.channel, d.payload["type"]) for d in rows) == [
        ("remy", "email", "incident.action_item.reminder"),
        ("remy", "inapp", "incident.action_item.reminder"),
    ]
    item.refresh_from_db()
    assert item.reminded_at is not None and item.escalated_at is None


def test_an_overdue_items_owner_gets_the_reminder_through_the_worker(
    due_soon, celery_worker_process, beat
):
    item = due_soon(2)
    rows = wait_until(
        lambda: len(delivered(item)) == 2 and delivered(item),
        timeout=30,
        what="the owner's reminder delivered in-app and by e-mail",
    )

    for row in rows:
        assert row.delivered_at - item.due_at <= REMINDER_SLA, row.delivered_at - item.due_at
    assert [(r.user.username, r.channel) for r in rows] == [("remy", "email"), ("remy", "inapp")]
    assert_one_reminder_to_the_owner(item)
    mail = celery_worker_process.log()
    assert "Subject: Action item overdue: Alert on FP rate (INC-" in mail
    assert "To: remy@example.test" in mail


def test_a_reminder_survives_a_worker_that_was_down_at_the_due_time(
    due_soon, celery_redis, celery_worker_factory, beat
):
    item = due_soon(1)
    wait_until(
        lambda: timezone.now() > item.due_at + timedelta(seconds=3),
        timeout=10,
        what="the due time to pass",
    )
    assert not Delivery.objects.filter(kind="action").exists()  # no worker: nobody claimed it

    restarted_at = timezone.now()
    celery_worker_factory(celery_redis)

    rows = wait_until(
        lambda: len(delivered(item)) == 2 and delivered(item),
        timeout=30,
        what="the reminder once a worker is back",
    )
    assert max(r.delivered_at for r in rows) - restarted_at <= REMINDER_SLA
    assert_one_reminder_to_the_owner(item)
