"""Triage, moments and the regulatory clocks: planned from the answers, reminded and escalated once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comms.models import Delivery
from incidents.choices import EntryKind, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.services import assign_role
from kit.errors import DomainError, NotPermitted
from regulatory import clocks, services
from regulatory.models import Obligation, Triage
from tests.builders import make_user
from tests.helpers import race
from tests.regulatory.support import (
    AI_ACT,
    AI_ACT_SERIOUS,
    DORA,
    DORA_MAJOR,
    GDPR,
    GDPR_BREACH,
    NIS2,
    NIS2_SIGNIFICANT,
    with_liaison,
)


@pytest.fixture
def triaged(clock, incident, commander, liaison):
    with_liaison(incident, commander, liaison)
    services.triage(incident=incident, by=liaison, regime=AI_ACT, answers=AI_ACT_SERIOUS)
    return incident


def current(incident, regime: str, report: str) -> Obligation:
    return Obligation.objects.current().get(incident=incident, regime=regime, report=report)


def test_a_triage_plans_the_deadline_and_writes_the_answers_to_the_log(triaged, liaison):
    obligation = current(triaged, AI_ACT, "serious_incident_report")
    assert obligation.starts_at == triaged.declared_at
    assert obligation.due_at == triaged.declared_at + timedelta(days=15)
    assert (obligation.window, obligation.cite) == ("P15D", "Article 73(2)")
    entry = DecisionLogEntry.objects.filter(incident=triaged, kind=EntryKind.REGULATORY).get()
    assert entry.actor == liaison
    assert entry.data["answers"] == AI_ACT_SERIOUS and entry.data["applies"] is True
    assert entry.data["obligations"][0]["due_at"] == obligation.due_at.isoformat()


@pytest.mark.parametrize(
    ("answers", "days", "cite"),
    [
        ({"death": True}, 10, "Article 73(4)"),
        ({"widespread_or_critical_infrastructure": True}, 2, "Article 73(3)"),
        ({"death": True, "widespread_or_critical_infrastructure": True}, 2, "Article 73(3)"),
    ],
)
def test_a_re_triage_re_plans_to_the_shorter_deadline(triaged, liaison, answers, days, cite):
    before = current(triaged, AI_ACT, "serious_incident_report")
    services.triage(
        incident=triaged, by=liaison, regime=AI_ACT, answers={**AI_ACT_SERIOUS, **answers}
    )
    after = current(triaged, AI_ACT, "serious_incident_report")
    assert after.pk == before.pk  # the same obligation (and draft), its deadline moved
    assert (after.due_at - triaged.declared_at, after.cite) == (timedelta(days=days), cite)
    assert Triage.objects.filter(incident=triaged, regime=AI_ACT).count() == 2  # history kept


def test_a_regime_that_no_longer_applies_cancels_its_obligations(triaged, liaison):
    services.triage(
        incident=triaged, by=liaison, regime=AI_ACT, answers={**AI_ACT_SERIOUS, "high_risk": False}
    )
    obligation = Obligation.objects.get(incident=triaged)
    assert obligation.cancelled_at is not None and obligation.next_action_at is None
    assert not Obligation.objects.current().filter(incident=triaged).exists()


def test_becoming_aware_later_than_the_declaration_moves_the_clock(triaged, liaison, clock):
    aware = triaged.declared_at + timedelta(hours=2)
    clock.advance(hours=3)
    services.record_moment(incident=triaged, by=liaison, name="became_aware", at=aware)
    assert current(triaged, AI_ACT, "serious_incident_report").due_at == aware + timedelta(days=15)
    entry = DecisionLogEntry.objects.filter(incident=triaged, kind=EntryKind.REGULATORY).last()
    assert entry.data["moment"] == "became_aware" and entry.data["at"] == aware.isoformat()


def test_dora_runs_four_hours_from_classification_but_never_past_a_day_from_awareness(
    triaged, liaison, clock
):
    services.triage(incident=triaged, by=liaison, regime=DORA, answers=DORA_MAJOR)
    initial = current(triaged, DORA, "initial_notification")
    assert initial.due_at == triaged.declared_at + timedelta(hours=4)  # classified at declaration
    clock.advance(hours=21)
    services.record_moment(
        incident=triaged,
        by=liaison,
        name="classified_major",
        at=triaged.declared_at + timedelta(hours=21),
    )
    initial = current(triaged, DORA, "initial_notification")
    assert (initial.due_at, initial.window) == (triaged.declared_at + timedelta(hours=24), "PT24H")
    # The intermediate report waits for the initial notification to be submitted.
    assert current(triaged, DORA, "intermediate_report").due_at is None


def test_chained_reports_start_when_the_one_they_follow_is_submitted(
    triaged, liaison, commander, clock
):
    services.triage(incident=triaged, by=liaison, regime=NIS2, answers=NIS2_SIGNIFICANT)
    assert current(triaged, NIS2, "final_report").due_at is None
    notification = current(triaged, NIS2, "incident_notification")
    services.edit_report(obligation=notification, by=liaison, fields={"indicators": "none"})
    services.sign_off_report(obligation=notification, by=commander)
    clock.advance(hours=30)
    services.submit_report(obligation=notification, by=liaison, channel="CSIRT portal")
    final = current(triaged, NIS2, "final_report")
    assert final.starts_at == clock.now
    assert final.due_at.month == (clock.now.month % 12) + 1  # one calendar month later


def test_every_answer_is_needed_and_refusals_change_nothing(triaged, liaison, responder):
    with pytest.raises(DomainError) as caught:
        services.triage(
            incident=triaged, by=liaison, regime=GDPR, answers={"personal_data_breach": True}
        )
    assert caught.value.field == "answers.risk_to_individuals"
    with pytest.raises(DomainError) as caught:
        services.triage(incident=triaged, by=liaison, regime="ccpa", answers={})
    assert caught.value.field == "regime"
    with pytest.raises(DomainError) as caught:
        services.triage(
            incident=triaged, by=liaison, regime=GDPR, answers={**GDPR_BREACH, "x": True}
        )
    assert caught.value.field == "answers.x"
    with pytest.raises(NotPermitted):
        services.triage(incident=triaged, by=responder, regime=GDPR, answers=GDPR_BREACH)
    assert not Triage.objects.filter(regime=GDPR).exists()


def test_a_moment_in_the_future_or_before_detection_is_refused(triaged, liaison, clock):
    for at, message in (
        (clock.now + timedelta(minutes=5), "future"),
        (triaged.detected_at - timedelta(days=1), "before the incident was detected"),
    ):
        with pytest.raises(DomainError) as caught:
            services.record_moment(incident=triaged, by=liaison, name="became_aware", at=at)
        assert caught.value.field == "at" and message in caught.value.message


# --- The tick --------------------------------------------------------------------------------


def notices(kind: str) -> list[Delivery]:
    return [
        d
        for d in Delivery.objects.filter(kind=Delivery.Kind.REGULATORY, channel="inapp")
        if d.payload["type"] == f"incident.obligation.{kind}"
    ]


def test_reminders_at_a_quarter_left_and_an_hour_before_then_one_escalation(
    clock, incident, commander, liaison
):
    with_liaison(incident, commander, liaison)
    executive_liaison = make_user("eve2", "responder")
    assign_role(incident=incident, role=Role.EXECUTIVE, user=executive_liaison, by=commander)
    services.triage(incident=incident, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    due = incident.declared_at + timedelta(hours=72)
    assert clocks.run_due(now=due - timedelta(hours=19)) == 0  # 25 % of 72 h is 18 h
    assert clocks.run_due(now=due - timedelta(hours=18)) == 1
    assert clocks.run_due(now=due - timedelta(hours=17)) == 0
    first = notices("reminder")
    assert {d.user.username for d in first} == {"cara", "ruth"}
    assert "Due in 18.0 h" in first[0].payload["title"]
    assert clocks.run_due(now=due - timedelta(hours=1)) == 1
    assert len(notices("reminder")) == 4
    assert clocks.run_due(now=due) == 1
    assert clocks.run_due(now=due + timedelta(hours=1)) == 0  # escalated once
    escalations = notices("escalation")
    assert {d.user.username for d in escalations} == {"cara", "ruth", "eve2"}
    obligation = current(incident, GDPR, "notification")
    assert obligation.outcome == "missed" and obligation.next_action_at is None
    kinds = list(
        DecisionLogEntry.objects.filter(incident=incident, actor_label="regulatory clock")
        .order_by("sequence")
        .values_list("kind", flat=True)
    )
    assert kinds == ["reminder", "reminder", "escalation"]


def test_a_submitted_report_stops_its_clock(triaged, liaison, commander, clock):
    obligation = current(triaged, AI_ACT, "serious_incident_report")
    services.edit_report(obligation=obligation, by=liaison, fields={"causal_link": "Suspected"})
    services.sign_off_report(obligation=obligation, by=commander)
    services.submit_report(
        obligation=obligation, by=liaison, channel="MSA portal", authority_reference="MSA-1"
    )
    obligation.refresh_from_db()
    assert (obligation.outcome, obligation.next_action_at) == ("met", None)
    assert clocks.run_due(now=obligation.due_at + timedelta(days=1)) == 0


def test_a_tick_after_a_long_outage_escalates_without_a_stale_reminder(triaged, clock):
    obligation = current(triaged, AI_ACT, "serious_incident_report")
    assert clocks.run_due(now=obligation.due_at + timedelta(minutes=1)) == 1
    assert notices("reminder") == [] and len(notices("escalation")) == 2
    assert clocks.run_due(now=obligation.due_at + timedelta(days=1)) == 0


def test_two_ticks_at_once_send_each_reminder_once(
    postgres_only, transactional_db, incident, commander, liaison
):
    with_liaison(incident, commander, liaison)
    services.triage(incident=incident, by=liaison, regime=NIS2, answers=NIS2_SIGNIFICANT)
    moment = incident.declared_at + timedelta(
        hours=23, minutes=30
    )  # both early-warning reminders due
    results = race(lambda: clocks.run_due(now=moment), threads=2)
    assert sum(results) >= 1
    early = current(incident, NIS2, "early_warning")
    reminders = DecisionLogEntry.objects.filter(
        incident=incident, kind=EntryKind.REMINDER, data__report="early_warning"
    )
    assert reminders.count() == 1 and early.reminders_sent == 2


def test_the_reminder_points_are_settings(clock, incident, commander, liaison, settings):
    settings.REGULATORY_REMINDER_PERCENT_LEFT = 50
    settings.REGULATORY_REMINDER_MINUTES_BEFORE = 0  # off
    with_liaison(incident, commander, liaison)
    services.triage(incident=incident, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    obligation = current(incident, GDPR, "notification")
    assert clocks.reminder_points(obligation, 1) == [obligation.due_at - timedelta(hours=36)]
