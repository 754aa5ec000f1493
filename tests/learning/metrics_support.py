"""Hand-built timelines for the communication-metrics tests: real services, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comms import workflows
from comms.cadence_tick import run_due
from comms.feedback import record_feedback
from comms.models import Channel, Delivery, StatusUpdate
from incidents.choices import DecisionType, Phase
from incidents.decisions import record_decision, request_decision
from incidents.models import Incident, MonitoredModel
from tests.builders import publish

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def at(clock, hh: int, mm: int, day: datetime = T0) -> datetime:
    clock.now = day.replace(hour=hh, minute=mm)
    return clock.now


def rate(update: StatusUpdate, audience: str, clarity: int, usefulness: int) -> None:
    """A reader of `audience` rates a delivery of `update`."""
    delivery = Delivery.objects.create(
        kind=Delivery.Kind.UPDATE,
        incident=update.incident,
        update=update,
        channel=Channel.INAPP,
        audience=audience,
        next_attempt_at=update.published_at,
        created_at=update.published_at,
        is_drill=update.incident.is_drill,
    )
    record_feedback(delivery=delivery, clarity=clarity, usefulness=usefulness)


def build_march(clock, commander, model: MonitoredModel) -> Incident:
    """The reference timeline (SEV2, March 2026). Expected values are in test_it_metrics.py.

    08:40 detected            09:00 declared (deadlines technical/executive/customer due 09:30)
    09:05 request A           09:12 update 1 (technical+executive, met; next due 09:42)
    09:17 decision settles A  09:20 request B   09:25 request C (never settled)
    09:31 customer reminded   09:41 customer escalated
    09:43 technical and executive reminded      09:50 contained
    09:53 technical and executive escalated
    09:56 decision settles B  09:58 another decision naming B (ignored: already settled)
    10:00 update 2 (technical: missed; next due 10:30)
    10:05 update 3 (technical: met; executive: missed; next due 10:35)
    10:10 resolved: open deadlines cancelled (technical, executive undecided; customer stays missed)
    """
    at(clock, 9, 0)
    incident = workflows.declare_incident(
        by=commander,
        title="Fraud false positives",
        severity=2,
        models=[(model, "v42")],
        detected_at=T0 - timedelta(minutes=20),
    )
    at(clock, 9, 5)
    req_a = request_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ROLLBACK_MODEL,
        question="Roll back?",
    )
    at(clock, 9, 12)
    u1 = publish(incident, commander, "technical", "executive")
    at(clock, 9, 17)
    record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ROLLBACK_MODEL,
        decision="Roll back to v41",
        rationale="Tested",
        settles=req_a,
    )
    at(clock, 9, 20)
    req_b = request_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ADJUST_THRESHOLD,
        question="Raise the threshold?",
    )
    at(clock, 9, 25)
    request_decision(
        incident=incident, by=commander, decision_type=DecisionType.OTHER, question="Tell partners?"
    )
    run_due(now=at(clock, 9, 31))
    run_due(now=at(clock, 9, 41))
    run_due(now=at(clock, 9, 43))
    at(clock, 9, 50)
    workflows.reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="FP < 2 %", by=commander
    )
    run_due(now=at(clock, 9, 53))
    at(clock, 9, 56)
    record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ADJUST_THRESHOLD,
        decision="Raise it to 0.9",
        rationale="Fewer declines",
        settles=req_b,
    )
    at(clock, 9, 58)
    record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ADJUST_THRESHOLD,
        decision="Keep it at 0.9",
        rationale="Still fine",
        settles=req_b,
    )
    at(clock, 10, 0)
    publish(incident, commander, "technical")
    at(clock, 10, 5)
    u3 = publish(incident, commander, "technical", "executive")
    at(clock, 10, 10)
    workflows.reach_milestone(
        incident=incident, phase=Phase.RESOLVED, indicator="All clear", by=commander
    )
    rate(u1, "technical", 4, 5)
    rate(u1, "technical", 3, 2)
    rate(u3, "technical", 5, 5)
    rate(u1, "executive", 5, 4)
    rate(u3, "executive", 2, 2)
    return Incident.objects.get(pk=incident.pk)


def build_april(clock, commander, models: list[MonitoredModel]) -> Incident:
    """A second real incident: SEV3, April 2026, two models.

    10:00 detected, 10:05 declared (technical and executive due 11:05),
    10:10 update 1 (technical: met), 10:30 contained, 10:40 request D,
    10:46 decision settles D (6 min), 11:06 executive reminded.
    One technical rating (2, 4).
    """
    day = datetime(2026, 4, 2, tzinfo=UTC)
    at(clock, 10, 5, day)
    incident = workflows.declare_incident(
        by=commander,
        title="Credit drift",
        severity=3,
        models=[(m, "") for m in models],
        detected_at=day.replace(hour=10),
    )
    at(clock, 10, 10, day)
    u1 = publish(incident, commander, "technical")
    at(clock, 10, 30, day)
    workflows.reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="PSI < 0.1", by=commander
    )
    at(clock, 10, 40, day)
    req = request_decision(
        incident=incident, by=commander, decision_type=DecisionType.OTHER, question="Retrain?"
    )
    at(clock, 10, 46, day)
    record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.OTHER,
        decision="Retrain tonight",
        rationale="Drift is stable",
        settles=req,
    )
    run_due(now=at(clock, 11, 6, day))
    rate(u1, "technical", 2, 4)
    return Incident.objects.get(pk=incident.pk)


def build_drill(clock, commander, model: MonitoredModel, *, factor: int = 60) -> Incident:
    """A drill in March 2026 on a 60× clock: everything happens fast in wall time.

    09:00 detected and declared; 09:01 update 1 (technical+executive);
    09:02 request E; 09:03 decision settles E; 09:05 contained.
    One executive rating (1, 1). On the drill clock: first update 60 min,
    decision 60 min, containment 300 min.
    """
    day = datetime(2026, 3, 20, tzinfo=UTC)
    at(clock, 9, 0, day)
    incident = workflows.declare_incident(
        by=commander,
        title="Drill: fraud surge",
        severity=2,
        models=[(model, "")],
        is_drill=True,
        detected_at=day.replace(hour=9),
    )
    Incident.objects.filter(pk=incident.pk).update(clock_factor=factor)
    at(clock, 9, 1, day)
    u1 = publish(incident, commander, "technical", "executive")
    at(clock, 9, 2, day)
    req = request_decision(
        incident=incident, by=commander, decision_type=DecisionType.OTHER, question="Drill?"
    )
    at(clock, 9, 3, day)
    record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.OTHER,
        decision="Go",
        rationale="Practice",
        settles=req,
    )
    at(clock, 9, 5, day)
    workflows.reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="Drill contained", by=commander
    )
    rate(u1, "executive", 1, 1)
    return Incident.objects.get(pk=incident.pk)
