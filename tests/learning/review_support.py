"""A resolved incident with a record worth reviewing, built through the real services.

Timeline (clock-controlled, SEV2, cadence: technical and executive every 30 min,
customer every 30 min):
  T+0     declared by cara (commander); remy scribe and engineering liaison; cara
          also regulator liaison
  T+10    decision: roll back to v41 (cara, IC), rationale "FP doubled after v42"
  T+20    technical update 1 published (met); the executive slot is left to lapse
  T+40    cadence run: executive and customer reminders (missed)
  T+45    contained; T+50 recovered; T+60 resolved
Metric points: false_positive_rate 6.0 at T+5 and T+65 (impact rule: 4 steps over
baseline 2.0 -> 480 customers/h, 34 000.00/h).
"""

from __future__ import annotations

from datetime import timedelta

from comms import cadence_tick, workflows
from comms.services import create_draft, publish_update
from incidents.choices import Phase, Role
from incidents.decisions import record_decision
from incidents.models import MetricPoint
from incidents.services import assign_role


def resolved_incident(clock, commander, responder, fraud_model):
    start = clock.now
    incident = workflows.declare_incident(
        by=commander,
        title="Fraud model false-positive surge",
        severity=2,
        models=[(fraud_model, "v42")],
        customers_affected=1200,
        revenue_at_risk_per_hour="42000",
        scope="Card payments in the EU",
    )
    assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)
    assign_role(incident=incident, role=Role.ENGINEERING, user=responder, by=commander)
    assign_role(incident=incident, role=Role.REGULATOR, user=commander, by=commander)
    for minutes in (5, 65):
        MetricPoint.objects.create(
            model=fraud_model,
            metric="false_positive_rate",
            timestamp=start + timedelta(minutes=minutes),
            value=6.0,
        )
    clock.advance(minutes=10)
    record_decision(
        incident=incident,
        by=commander,
        decision_type="rollback_model",
        decision="Roll back to v41",
        rationale="FP doubled after v42",
        options_considered=["Raise threshold", "Roll back"],
    )
    clock.advance(minutes=10)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Rolled back to v41",
        renditions={"technical": {"summary": "v41 live, FP falling"}},
    )
    publish_update(update=update, by=commander)
    clock.advance(minutes=20)
    cadence_tick.run_due(now=clock.now)
    clock.advance(minutes=5)
    workflows.reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="FP < 2 % for 5 min", by=commander
    )
    clock.advance(minutes=5)
    workflows.reach_milestone(
        incident=incident, phase=Phase.RECOVERED, indicator="v41 serving", by=commander
    )
    clock.advance(minutes=10)
    workflows.reach_milestone(
        incident=incident, phase=Phase.RESOLVED, indicator="No alert for 10 min", by=commander
    )
    clock.advance(minutes=5)
    incident.refresh_from_db()
    return incident


def complete(review_fields: dict | None = None) -> dict:
    """Draft fields that satisfy publishing."""
    return {
        "executive_summary": "About 1,200 customers had card payments wrongly declined for an hour.",
        "root_causes": ["model_versioning", "process"],
        "root_cause_detail": "v42 shipped without a shadow period.",
        "lessons": "Shadow every fraud model for a day before it decides.",
        "taxonomy": "oecd-aim",
        "classification": {"severity": "AI incident", "harm_type": ["economic/property"]},
    } | (review_fields or {})
