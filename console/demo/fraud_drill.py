"""The demo's drill incident: fraud scoring false positives after a threshold push."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from comms import workflows
from console.demo.base import Demo
from incidents import decisions
from incidents.choices import Role

TITLE = "Drill: fraud scoring false positives after threshold push"


def build(demo: Demo, title: str) -> None:
    u, now = demo.users, timezone.now()
    ic = u["conor"]
    incident = workflows.declare_incident(
        by=ic,
        title=title,
        severity=2,
        is_drill=True,
        scope="Drill: synthetic trace of fraud scoring false positives; no customer is affected.",
        summary="Scenario: a threshold push raises the false-positive rate to 5 %.",
        models=[(demo.models["fraud-scoring"], "v43")],
        customers_affected=0,
        revenue_at_risk_per_hour="0",
        detected_at=now - timedelta(minutes=20),
        detection_indicator="Drill trace: FP rate 5.1 %",
    )
    demo.staff(incident, ic, {Role.COMMS_LEAD: "colin", Role.DATA_SCIENCE: "dana"})
    decisions.add_note(
        incident=incident, by=u["colin"], text="Drill: first executive update drafted."
    )
