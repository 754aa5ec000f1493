"""Cadence: deadlines open, are met or missed, remind, escalate, snooze and re-plan."""

from datetime import timedelta

import pytest

from comms import workflows
from comms.cadence import snooze
from comms.cadence_tick import run_due
from comms.models import Deadline, Delivery
from incidents.choices import EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Playbook
from incidents.services import assign_role
from kit.errors import Conflict, DomainError, NotPermitted
from tests.builders import publish


@pytest.fixture
def sev2(clock, commander, fraud_model, responder, commander2):
    incident = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    assign_role(incident=incident, role=Role.EXECUTIVE, user=commander2, by=commander)
    return incident


def open_deadlines(incident):
    return {d.audience: d for d in Deadline.objects.open().filter(incident=incident)}


def log_kinds(incident):
    return list(DecisionLogEntry.objects.filter(incident=incident).values_list("kind", flat=True))


def test_declaring_opens_one_deadline_per_audience_the_severity_covers(sev2, clock):
    deadlines = open_deadlines(sev2)
    assert sorted(deadlines) == ["customer", "executive", "technical"]  # regulator only at SEV1
    assert {d.due_at for d in deadlines.values()} == {sev2.declared_at + timedelta(minutes=30)}


@pytest.mark.parametrize("severity,minutes", [(1, 30), (2, 30), (3, 60), (4, 240)])
def test_default_cadence_per_severity(clock, commander, severity, minutes):
    incident = workflows.declare_incident(by=commander, title="x", severity=severity)
    technical = open_deadlines(incident)["technical"]
    assert (technical.cadence_minutes, technical.due_at - incident.declared_at) == (
        minutes,
        timedelta(minutes=minutes),
    )


def test_a_playbook_sets_cadence_per_audience_to_the_minute(clock, commander):
    Playbook.objects.create(
        name="SEV3",
        severity=3,
        cadence_minutes={"executive": 17},
        notification_thresholds={"executive": 3},
    )
    incident = workflows.declare_incident(by=commander, title="x", severity=3)
    deadlines = open_deadlines(incident)
    assert (deadlines["executive"].cadence_minutes, deadlines["technical"].cadence_minutes) == (
        17,
        60,
    )


def test_an_update_on_time_meets_the_slot_and_opens_the_next(sev2, clock, commander):
    first = open_deadlines(sev2)["executive"]
    clock.advance(minutes=20)

    update = publish(sev2, commander, "executive")

    first.refresh_from_db()
    assert (first.outcome, first.fulfilled_by, first.fulfilled_at) == ("met", update, clock.now)
    nxt = open_deadlines(sev2)["executive"]
    assert (nxt.opened_by, nxt.due_at) == (update, clock.now + timedelta(minutes=30))
    assert update.next_update_at == nxt.due_at
    assert open_deadlines(sev2)["technical"].due_at == sev2.declared_at + timedelta(minutes=30)


def test_a_late_update_misses_the_slot(sev2, clock, commander):
    clock.advance(minutes=31)
    publish(sev2, commander, "technical")
    assert (
        Deadline.objects.get(incident=sev2, audience="technical", opened_by=None).outcome
        == "missed"
    )


def test_a_promised_next_update_sooner_than_the_cadence_sets_the_due_time(sev2, clock, commander):
    promised = clock.now + timedelta(minutes=12)
    publish(sev2, commander, "executive", next_update_at=promised)
    assert open_deadlines(sev2)["executive"].due_at == promised


def test_a_due_deadline_reminds_commander_and_comms_lead_once(sev2, clock, commander, responder):
    clock.advance(minutes=29, seconds=59)
    assert run_due() == {"reminded": 0, "escalated": 0}
    clock.advance(seconds=1)

    assert run_due() == {"reminded": 3, "escalated": 0}
    assert run_due() == {"reminded": 0, "escalated": 0}

    reminders = Delivery.objects.filter(incident=sev2, kind="reminder")
    assert {(d.user.username, d.channel) for d in reminders} == {
        (u, c) for u in ("cara", "remy") for c in ("inapp", "email")
    }
    assert reminders.count() == 3 * 4
    assert {d.outcome for d in Deadline.objects.filter(incident=sev2)} == {"missed"}
    assert log_kinds(sev2).count(EntryKind.REMINDER) == 3


def test_an_overdue_deadline_escalates_to_the_executive_liaison_after_the_grace(
    sev2, clock, commander2
):
    clock.advance(minutes=30)
    run_due()
    clock.advance(minutes=9, seconds=59)
    assert run_due()["escalated"] == 0
    clock.advance(seconds=1)

    assert run_due()["escalated"] == 3
    assert run_due()["escalated"] == 0
    escalations = Delivery.objects.filter(incident=sev2, kind="escalation")
    assert {d.user.username for d in escalations} == {"conor"}
    assert escalations.first().payload["type"] == "incident.cadence.escalation"
    assert log_kinds(sev2).count(EntryKind.ESCALATION) == 3


def test_a_playbook_grace_and_escalation_path_are_honoured(clock, commander, responder):
    Playbook.objects.create(
        name="SEV4",
        severity=4,
        escalation_grace_minutes=2,
        escalation_path=[{"after_minutes": 0, "notify": ["comms_lead"]}],
    )
    incident = workflows.declare_incident(by=commander, title="x", severity=4)
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    clock.advance(minutes=240)
    run_due()
    clock.advance(minutes=2)
    assert run_due()["escalated"] == 1
    assert {d.user.username for d in Delivery.objects.filter(kind="escalation")} == {"remy"}


def test_a_commander_snoozes_once_with_a_logged_reason(sev2, clock, commander, responder):
    deadline = open_deadlines(sev2)["executive"]
    before = deadline.due_at

    with pytest.raises(NotPermitted, match=r"Only the incident commander may snooze a deadline\."):
        snooze(deadline=deadline, by=responder, minutes=10, reason="x")
    with pytest.raises(DomainError, match=r"reason is required\.") as no_reason:
        snooze(deadline=deadline, by=commander, minutes=10, reason=" ")
    snoozed = snooze(
        deadline=deadline, by=commander, minutes=10, reason="Waiting for the rollback to finish"
    )
    with pytest.raises(Conflict, match=r"A deadline can be snoozed once\."):
        snooze(deadline=deadline, by=commander, minutes=10, reason="again")

    assert no_reason.value.field == "reason"
    assert snoozed.due_at == before + timedelta(minutes=10)
    entry = DecisionLogEntry.objects.filter(incident=sev2).last()
    assert (entry.kind, entry.data["reason"], entry.data["minutes"]) == (
        "snooze",
        "Waiting for the rollback to finish",
        10,
    )
    clock.advance(minutes=30)
    run_due()
    assert Deadline.objects.get(pk=deadline.pk).reminded_at is None  # not due yet


def test_raising_severity_replans_open_deadlines_and_adds_audiences(clock, commander):
    incident = workflows.declare_incident(by=commander, title="x", severity=3)
    clock.advance(minutes=10)

    workflows.change_severity(incident=incident, severity=1, by=commander, reason="EU-wide")

    deadlines = open_deadlines(incident)
    assert sorted(deadlines) == ["customer", "executive", "regulator", "technical"]
    assert deadlines["technical"].due_at == incident.declared_at + timedelta(minutes=30)
    assert deadlines["regulator"].due_at == clock.now + timedelta(minutes=30)


def test_a_replan_never_sets_a_deadline_in_the_past(clock, commander):
    incident = workflows.declare_incident(by=commander, title="x", severity=3)
    clock.advance(minutes=45)
    workflows.change_severity(incident=incident, severity=2, by=commander, reason="worse")
    assert open_deadlines(incident)["technical"].due_at == clock.now


def test_lowering_severity_cancels_audiences_no_longer_covered(sev2, clock, commander):
    workflows.change_severity(
        incident=sev2, severity=4, by=commander, reason="contained to one region"
    )
    deadlines = open_deadlines(sev2)
    assert sorted(deadlines) == ["technical"]
    assert deadlines["technical"].due_at == sev2.declared_at + timedelta(minutes=240)


def test_resolving_closes_the_deadlines(sev2, clock, commander):
    workflows.reach_milestone(
        incident=sev2, phase=Phase.RESOLVED, indicator="FP < 2 % for 1 h", by=commander
    )
    assert open_deadlines(sev2) == {}
    clock.advance(hours=5)
    assert run_due() == {"reminded": 0, "escalated": 0}


def test_a_snooze_after_the_reminder_delays_escalation_but_the_slot_stays_missed(
    sev2, clock, commander
):
    deadline = open_deadlines(sev2)["executive"]
    clock.advance(minutes=30)
    run_due()
    snooze(deadline=deadline, by=commander, minutes=20, reason="Rollback still running")
    clock.advance(minutes=15)
    assert (
        run_due()["escalated"] == 2
    )  # the other two audiences; this one waits for its new due + grace

    publish(sev2, commander, "executive")

    deadline.refresh_from_db()
    assert (deadline.outcome, deadline.escalated_at) == ("missed", None)


def test_a_severity_change_keeps_a_snoozed_due_time(clock, commander):
    incident = workflows.declare_incident(by=commander, title="x", severity=3)
    deadline = snooze(
        deadline=open_deadlines(incident)["technical"],
        by=commander,
        minutes=30,
        reason="Waiting on vendor",
    )
    workflows.change_severity(incident=incident, severity=2, by=commander, reason="worse")
    assert open_deadlines(incident)["technical"].due_at == deadline.due_at
