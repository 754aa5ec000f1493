"""Regulatory reminders with a real Celery worker and beat on a real Redis: sent once, within seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Delivery
from incidents.choices import Role
from incidents.services import assign_role, declare_incident
from regulatory import services
from regulatory.models import Obligation
from tests.helpers import wait_until


@pytest.fixture
def obligation(transactional_db, commander, liaison, fraud_model):
    incident = declare_incident(by=commander, title="Card data in decline reasons", severity=1)
    assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    services.triage(
        incident=incident,
        by=liaison,
        regime="gdpr-art33",
        answers={"personal_data_breach": True, "risk_to_individuals": True},
    )
    # Bring the first reminder (due at 54 h of the 72) to two seconds from now.
    Obligation.objects.filter(incident=incident).update(
        next_action_at=timezone.now() + timedelta(seconds=2)
    )
    return Obligation.objects.get(incident=incident)


def test_beat_and_a_worker_send_the_reminder_to_the_liaison_and_the_commander_once(
    obligation, celery_worker_process, beat
):
    def delivered() -> list[Delivery]:
        return list(
            Delivery.objects.filter(
                incident=obligation.incident, kind="regulatory", channel="inapp", status="delivered"
            ).select_related("user")
        )

    rows = wait_until(lambda: len(delivered()) == 2 and delivered(), timeout=30, what="reminders")
    assert sorted(r.user.username for r in rows) == ["cara", "ruth"]
    for row in rows:
        assert row.delivered_at - obligation.next_action_at <= timedelta(seconds=10)
        assert row.payload["type"] == "incident.obligation.reminder"
    obligation.refresh_from_db()
    assert obligation.reminded_at is not None and obligation.next_action_at > timezone.now()
    # Each person once per channel: the ticks that ran meanwhile claimed nothing more.
    sent = Delivery.objects.filter(incident=obligation.incident, kind="regulatory")
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "email", "inapp", "inapp"]
