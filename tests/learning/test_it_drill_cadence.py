"""The cadence runs on the drill's clock; real incidents keep the wall clock. Drill notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comms import cadence, cadence_tick, subscriptions, workflows
from comms.models import Deadline, Delivery
from comms.transports import message_for
from incidents.choices import Role
from incidents.models import Incident
from incidents.services import assign_role
from learning.drills import runs
from tests.builders import publish

FRAUD = "fraud-fp-surge"


def due_in(incident) -> dict[str, timedelta]:
    return {
        d.audience: d.due_at - incident.declared_at
        for d in Deadline.objects.open().filter(incident=incident)
    }


def test_a_real_incident_keeps_wall_clock_cadence(clock, commander, fraud_model):
    real = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    assert real.clock_factor == 1
    assert due_in(real) == {
        a: timedelta(minutes=30) for a in ("technical", "executive", "customer")
    }
    clock.advance(minutes=10)
    publish(real, commander, "technical")
    assert Deadline.objects.open().get(
        incident=real, audience="technical"
    ).due_at == clock.now + timedelta(minutes=30)


def test_a_drill_owes_updates_on_its_own_clock(clock, commander, fraud_model):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    incident = drill.incident
    assert due_in(incident) == {
        a: timedelta(seconds=30) for a in ("technical", "executive", "customer")
    }
    clock.advance(seconds=10)
    publish(incident, commander, "technical")
    deadline = Deadline.objects.open().get(incident=incident, audience="technical")
    assert (deadline.due_at - clock.now, deadline.cadence_minutes) == (timedelta(seconds=30), 30)


def test_reminder_escalation_and_snooze_scale_with_the_drill_clock(
    clock, commander, commander2, fraud_model
):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    incident = drill.incident
    assign_role(incident=incident, role=Role.EXECUTIVE, user=commander2, by=commander)
    clock.advance(seconds=30)
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 3, "escalated": 0}
    clock.advance(seconds=9)  # drill minute 39: 9 of the 10 minutes' grace
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 0, "escalated": 0}
    clock.advance(seconds=1)  # minute 40: grace over
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 0, "escalated": 3}

    technical = Deadline.objects.open().get(incident=incident, audience="technical")
    publish(incident, commander, "technical")
    fresh = Deadline.objects.open().get(incident=incident, audience="technical")
    assert fresh.pk != technical.pk
    snoozed = cadence.snooze(
        deadline=fresh, by=commander, minutes=15, reason="Waiting on the pipeline team"
    )
    assert snoozed.due_at - fresh.due_at == timedelta(seconds=15)  # 15 drill minutes at 60x


def test_a_real_incident_is_not_escalated_early_beside_a_fast_drill(clock, commander, fraud_model):
    """The escalation pre-filter uses the fastest drill's grace; each row still keeps its own clock."""
    real = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=600)
    clock.advance(minutes=30)
    # Real: three slots due now, reminded. Drill: due after 3 s, grace 1 s: reminded and escalated.
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 6, "escalated": 3}
    assert Deadline.objects.filter(incident=drill.incident, escalated_at=clock.now).count() == 3
    clock.advance(minutes=9, seconds=59)
    assert cadence_tick.run_due(now=clock.now) == {
        "reminded": 0,
        "escalated": 0,
    }  # real grace: 10 wall minutes
    clock.advance(seconds=1)
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 0, "escalated": 3}
    assert Deadline.objects.filter(incident=real, escalated_at=clock.now).count() == 3


# --- Notifications ---------------------------------------------------------------------------


@pytest.fixture
def hooks(commander, executive):
    """Endpoint subscriptions with and without drills, and an executive user subscription to drills."""
    make = subscriptions.create_subscription
    return {
        "with": make(
            by=commander,
            name="Drill hook",
            audience="technical",
            channel="webhook",
            target="https://hooks.example.test/drills",
            include_drills=True,
        ),
        "without": make(
            by=commander,
            name="Real only",
            audience="technical",
            channel="slack",
            target="https://hooks.slack.com/services/T/B/x",
        ),
        "eve": make(by=executive, name="Eve", audience="technical", include_drills=True),
    }


def test_drill_updates_reach_only_drill_subscribers_marked_as_drills(
    clock, commander, fraud_model, hooks
):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    update = publish(drill.incident, commander, "technical")
    rows = Delivery.objects.filter(update=update)
    assert sorted((d.subscription.name, d.channel, d.is_drill) for d in rows) == [
        ("Drill hook", "webhook", True),
        ("Eve", "email", True),
        ("Eve", "inapp", True),
    ]
    hook = rows.get(channel="webhook")
    assert hook.payload["incident"]["is_drill"] is True
    assert hook.payload["incident"]["title"].startswith("[DRILL] ")
    assert message_for(hook.payload).title.startswith("[DRILL] [SEV2] ")


def test_a_drill_that_suppresses_external_channels_stays_in_app(
    clock, commander, fraud_model, hooks
):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60, suppress_external=True)
    update = publish(drill.incident, commander, "technical")
    assert sorted(
        (d.subscription.name, d.channel) for d in Delivery.objects.filter(update=update)
    ) == [("Eve", "inapp")]
    clock.advance(
        seconds=40
    )  # every slot is due (technical's next one since 30 s): reminders in-app only
    cadence_tick.run_due(now=clock.now)
    reminders = Delivery.objects.filter(incident=drill.incident, kind="reminder")
    assert sorted(set(reminders.values_list("channel", flat=True))) == ["inapp"]
    assert reminders.count() == 3  # the commander, one per audience


def test_a_drill_declares_its_incident_with_the_starters_choice_on_external_channels(
    clock, commander, fraud_model
):
    """The choice is the incident's own field, which comms reads (tests/comms/test_it_suppress_external.py)."""
    quiet = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60, suppress_external=True)
    loud = runs.start_drill(by=commander, scenario="recommender-latency-peak", clock_factor=60)
    stored = dict(
        Incident.objects.filter(pk__in=[quiet.incident_id, loud.incident_id]).values_list(
            "pk", "suppress_external"
        )
    )
    assert stored == {quiet.incident_id: True, loud.incident_id: False}
    assert (quiet.suppress_external, loud.suppress_external) == (True, False)


def test_real_incidents_still_reach_external_channels(clock, commander, fraud_model, hooks):
    runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60, suppress_external=True)
    real = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    update = publish(real, commander, "technical")
    assert sorted(
        (d.subscription.name, d.channel) for d in Delivery.objects.filter(update=update)
    ) == [("Drill hook", "webhook"), ("Eve", "email"), ("Eve", "inapp"), ("Real only", "slack")]
